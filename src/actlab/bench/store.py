"""The results store: one SQLite row per finished run, written atomically.

The database runs in WAL mode. Each row is inserted in a single transaction keyed by the cell's
``key`` (``UNIQUE``), so a process killed at any moment leaves either the whole row or nothing, and
re-inserting a finished key is a no-op. Only the driver process writes; workers return results.

The store refuses what is not its own: a file that is not SQLite, or a SQLite database without
actlab's ``runs`` table, raises :class:`StoreError` before anything is written to it (no table
added, no WAL switch). ``readonly=True`` (what ``actlab report`` uses) opens the file with SQLite's
``mode=ro``. Every SQLite failure (corrupt file, read-only folder, full disk, locked database)
becomes a :class:`StoreError` that says what happened and what to do; a row whose JSON does not
parse is skipped and listed in :attr:`ResultStore.bad_rows`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import sqlite3
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError
from . import leases

__all__ = ["ResultStore", "RunRow", "StoreError", "provenance"]

# The columns of a run, in RunRow's field order.
_COLS = (
    "key, status, bench, task, method, seed, config_json, result_json, error, git_commit, versions_json, device, "
    "start_time, end_time"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    bench TEXT NOT NULL,
    task TEXT NOT NULL,
    method TEXT NOT NULL,
    seed INTEGER NOT NULL,
    config_json TEXT NOT NULL,
    result_json TEXT,
    error TEXT,
    git_commit TEXT,
    versions_json TEXT NOT NULL,
    device TEXT,
    start_time REAL NOT NULL,
    end_time REAL NOT NULL
);
"""
# The columns a database needs to be read as actlab's (older stores have exactly these).
_RUN_COLUMNS = frozenset(c.strip() for c in _COLS.split(","))


class StoreError(UserError, ValueError):
    """A results database that cannot be used as asked: not actlab's, corrupt, unreadable, read-only
    or on a full disk. The message names the file and what to do. (A ``ValueError`` too, as
    :class:`actlab.bench.BenchConfigError` is, so callers catching ``ValueError`` keep working.)"""


def _explain(path: Path, action: str, e: BaseException) -> str:
    """One sentence for a SQLite (or OS) failure while ``action`` on ``path``."""
    msg = str(e)
    low = msg.lower()
    where = f"results database {str(path)!r}"
    if "not a database" in low or "malformed" in low or "file is encrypted" in low:
        return (f"{where} is corrupt or not a SQLite file ({msg}) while {action}; it was left as it is. Move it "
                "aside and run `actlab bench` again, or pass --db a different file")
    if "disk is full" in low or (isinstance(e, OSError) and e.errno == errno.ENOSPC):
        return (f"the disk holding {where} is full ({msg}) while {action}; nothing of this write was kept. Free "
                "some space and rerun the same command to resume")
    if "readonly" in low or "read-only" in low or isinstance(e, PermissionError):
        return (f"{where} or its folder is read-only ({msg}) while {action}. `actlab report` can read it as it is; "
                "to write runs, make the file and its folder writable or pass --db a writable path")
    if "unable to open" in low or isinstance(e, OSError):
        return (f"cannot open {where} ({msg}) while {action}: check that its folder exists and that you may "
                "read (and, to write runs, write) both the file and the folder")
    if "locked" in low or "busy" in low:
        return (f"{where} stayed locked by another process for over a minute ({msg}) while {action}; wait for "
                "it to finish or use another --db")
    return f"{where} failed while {action}: {type(e).__name__}: {msg}"



@dataclass(frozen=True)
class RunRow:
    """One stored run. ``result`` is the RunResult dict (``None`` for a failed run)."""

    key: str
    status: str
    bench: str
    task: str
    method: str
    seed: int
    config: dict
    result: dict | None
    error: str | None
    git_commit: str | None
    versions: dict
    device: str | None
    start_time: float
    end_time: float


def provenance() -> dict[str, Any]:
    """Versions (python, torch, numpy, actlab) and the git commit of the actlab checkout, if any."""
    import numpy
    import torch

    from .._version import __version__

    versions = {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__}
    versions["actlab"] = __version__
    commit = None
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            commit = out.stdout.strip()
            git_status = ["git", "status", "--porcelain", "--untracked-files=no"]
            dirty = subprocess.run(git_status, cwd=here, capture_output=True, text=True, timeout=5)
            if dirty.returncode == 0 and dirty.stdout.strip():
                commit += "-dirty"
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"versions": versions, "git_commit": commit}


class ResultStore:
    """A SQLite results database (created with its folder if missing, unless ``readonly``).

    Args:
        path: database file, e.g. ``actlab_results/bench.db``.
        readonly: open an existing database for reading only (SQLite ``mode=ro``); nothing is
            ever written to the file, so a read-only file or folder works.

    Raises:
        StoreError: the file is missing (``readonly``), a folder, not SQLite, corrupt, not an
            actlab database (it is then left untouched), or cannot be opened.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.bad_rows: list[str] = []
        """One line per stored row that could not be read (bad JSON), skipped by :meth:`rows`."""
        if self.path.is_dir():
            raise StoreError(f"the results database {str(self.path)!r} is a folder; give a database file, "
                             f"e.g. {self.path / 'bench.db'}")
        if readonly:
            if not self.path.is_file():
                raise StoreError(f"no results database at {str(self.path)!r}; run `actlab bench --db {self.path}` "
                                 "first")
            self._conn = self._open_readonly()
        else:
            with self._errors("creating its folder"):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # SQLite needs the file and its folder (for the -wal and -shm files) writable.
            for what, p in (("file", self.path), ("folder", self.path.parent)):
                if p.exists() and not os.access(p, os.W_OK):
                    raise StoreError(f"results database {str(self.path)!r}: its {what} is read-only, so no run can "
                                     "be stored. `actlab report` can read it as it is; to bench, make the file and "
                                     "its folder writable or pass --db a writable path")
            with self._errors("opening it"):
                self._conn = sqlite3.connect(str(self.path), timeout=60.0, isolation_level=None)
        try:
            tables = self._check_schema()
            if not readonly:
                with self._errors("setting it up (WAL journal, tables)"):
                    self._conn.execute("PRAGMA journal_mode=WAL")
                    self._conn.execute("PRAGMA synchronous=NORMAL")
                    self._conn.execute(_SCHEMA)
                    self._conn.execute(leases.CLAIMS_SCHEMA)
                tables |= {"runs", "claims"}
            self._has_claims = "claims" in tables
        except BaseException:
            self._conn.close()
            raise

    def _open_readonly(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri() + "?mode=ro"
        with self._errors("opening it read-only"):
            conn = sqlite3.connect(uri, uri=True, timeout=60.0, isolation_level=None)
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.Error as e:
            conn.close()
            if "readonly" not in str(e).lower() and "unable to open" not in str(e).lower():
                raise StoreError(_explain(self.path, "opening it read-only", e)) from e
        # A WAL database in a read-only folder: SQLite cannot create its -shm file there. Opened as
        # immutable it is read as the file stands (nobody can be writing to it: a writer needs the folder).
        with self._errors("opening it read-only (immutable)"):
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn

    def _check_schema(self) -> set[str]:
        """The database's tables, after checking it is empty (only when writable) or actlab's."""
        with self._errors("reading its schema"):
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            cols = {r[1] for r in self._conn.execute("PRAGMA table_info(runs)")} if "runs" in tables else set()
        user_tables = sorted(t for t in tables if not t.startswith("sqlite_"))
        if not user_tables and not self.readonly:
            return tables  # a new (or empty) file: ours to set up
        if not user_tables:
            raise StoreError(f"{str(self.path)!r} is an empty database with no runs; run `actlab bench --db "
                             f"{self.path}` first")
        missing = sorted(_RUN_COLUMNS - cols)
        if missing:
            what = f"its runs table lacks {', '.join(missing)}" if cols else f"its tables: {', '.join(user_tables)}"
            raise StoreError(f"{str(self.path)!r} is a SQLite database but not an actlab results database ({what}); "
                             "it was not modified. Give --db a new file or one written by `actlab bench`")
        return tables

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turns SQLite and OS failures into one :class:`StoreError` naming the file and the way out."""
        try:
            yield
        except (sqlite3.Error, OSError) as e:
            raise StoreError(_explain(self.path, action, e)) from e

    def _writable(self, action: str) -> None:
        if self.readonly:
            raise StoreError(f"cannot {action}: {str(self.path)!r} was opened read-only (ResultStore(readonly=True))")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def keys(self, status: str | None = None) -> set[str]:
        """Keys of stored runs, optionally only those with ``status`` ``"ok"`` or ``"failed"``."""
        with self._errors("reading its keys"):
            if status is None:
                rows = self._conn.execute("SELECT key FROM runs").fetchall()
            else:
                rows = self._conn.execute("SELECT key FROM runs WHERE status = ?", (status,)).fetchall()
        return {r[0] for r in rows}

    def add(
        self,
        *,
        key: str,
        bench: str,
        task: str,
        method: str,
        seed: int,
        config: dict,
        result: dict | None,
        error: str | None,
        start_time: float,
        end_time: float | None = None,
        prov: dict[str, Any] | None = None,
        replace_failed: bool = True,
    ) -> bool:
        """Inserts one run in one transaction; returns False when ``key`` was already stored.

        A run with ``result=None`` is stored as failed with ``error``. When ``replace_failed`` a
        new result replaces a stored failure of the same key (a retried cell); a stored ``ok``
        row is never replaced. Any claim on ``key`` (see :meth:`claim`) is released with it.
        """
        self._writable("store a run")
        prov = prov or provenance()
        status = "ok" if result is not None else "failed"
        device = (result or {}).get("device") or config.get("device")
        values = (
            key, status, bench, task, method, int(seed), json.dumps(config, sort_keys=True),
            None if result is None else json.dumps(result, sort_keys=True, allow_nan=True), error,
            prov.get("git_commit"), json.dumps(prov.get("versions", {}), sort_keys=True), device,
            float(start_time), float(end_time if end_time is not None else time.time()),
        )
        with self._errors(f"storing the run {key[:12]} ({task}, {method}, seed {seed})"), self._transaction() as cur:
            if replace_failed:
                cur.execute("DELETE FROM runs WHERE key = ? AND status = 'failed'", (key,))
            cur.execute(f"INSERT OR IGNORE INTO runs ({_COLS}) VALUES ({','.join('?' * 14)})", values)
            added = cur.rowcount == 1
            if self._has_claims:
                cur.execute("DELETE FROM claims WHERE key = ?", (key,))
            return added

    def rows(self, status: str | None = "ok", bench: str | None = None) -> list[RunRow]:
        """Stored runs in insertion order, filtered by status (``None``: all) and bench name.

        A row that cannot be read (its JSON does not parse) is skipped and described in
        :attr:`bad_rows`.
        """
        q, args = f"SELECT {_COLS} FROM runs", []
        conds = []
        if status is not None:
            conds.append("status = ?")
            args.append(status)
        if bench is not None:
            conds.append("bench = ?")
            args.append(bench)
        if conds:
            q += " WHERE " + " AND ".join(conds)
        with self._errors("reading its runs"):
            raw = self._conn.execute(q + " ORDER BY id", args).fetchall()
        out = []
        for r in raw:
            try:
                result = None if r[7] is None else json.loads(r[7])
                out.append(RunRow(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), result, r[8], r[9],
                                  json.loads(r[10]), r[11], r[12], r[13]))
            except (ValueError, TypeError) as e:  # one damaged row must not hide the others
                line = f"run {str(r[0])[:12]} ({r[3]}, {r[4]}, seed {r[5]}): unreadable JSON ({e}); skipped"
                if line not in self.bad_rows:
                    self.bad_rows.append(line)
        return out

    def count(self) -> int:
        with self._errors("counting its runs"):
            return int(self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    # ------------------------------------------------------------------ leases (see actlab.bench.leases)
    def claim(self, keys: Sequence[str], owner: str, n: int, *, retry_failed: bool = False,
              lease_s: float = leases.DEFAULT_LEASE_S) -> list[str]:
        """Claims up to ``n`` unfinished, unclaimed ``keys`` for ``owner`` (see :func:`leases.claim`)."""
        self._writable("claim cells")
        with self._errors("claiming cells to train"):
            return leases.claim(self._conn, keys, owner, n, retry_failed=retry_failed, lease_s=lease_s)

    def release(self, owner: str, keys: Iterable[str] | None = None) -> None:
        """Gives back ``owner``'s claims on ``keys`` (all of them when ``None``)."""
        self._writable("release claims")
        with self._errors("releasing claimed cells"):
            leases.release(self._conn, owner, keys)

    def others_claims(self, keys: Iterable[str], owner: str) -> dict[str, str]:
        """``{key: owner}`` of the live claims on ``keys`` held by other drivers."""
        if not self._has_claims:
            return {}
        with self._errors("reading the claimed cells"):
            return leases.others_claims(self._conn, keys, owner)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction: committed whole, or rolled back on any error."""
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            if self._conn.in_transaction:
                cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def __iter__(self) -> Iterator[RunRow]:
        return iter(self.rows(status=None))
