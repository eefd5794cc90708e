"""The results store: one SQLite row per finished run, written atomically.

The database runs in WAL mode. Each row is inserted in a single transaction keyed by the cell's
``key`` (``UNIQUE``), so a process killed at any moment leaves either the whole row or nothing, and
re-inserting a finished key is a no-op. Only the driver process writes; workers return results.
"""

from __future__ import annotations

import contextlib
import json
import platform
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ResultStore", "RunRow", "provenance"]

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
    """A SQLite results database (created with its folder if missing).

    Args:
        path: database file, e.g. ``actlab_results/bench.db``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), timeout=60.0, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def keys(self, status: str | None = None) -> set[str]:
        """Keys of stored runs, optionally only those with ``status`` ``"ok"`` or ``"failed"``."""
        if status is None:
            rows = self._conn.execute("SELECT key FROM runs")
        else:
            rows = self._conn.execute("SELECT key FROM runs WHERE status = ?", (status,))
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
        row is never replaced.
        """
        prov = prov or provenance()
        status = "ok" if result is not None else "failed"
        device = (result or {}).get("device") or config.get("device")
        values = (
            key, status, bench, task, method, int(seed), json.dumps(config, sort_keys=True),
            None if result is None else json.dumps(result, sort_keys=True, allow_nan=True), error,
            prov.get("git_commit"), json.dumps(prov.get("versions", {}), sort_keys=True), device,
            float(start_time), float(end_time if end_time is not None else time.time()),
        )
        with self._transaction() as cur:
            if replace_failed:
                cur.execute("DELETE FROM runs WHERE key = ? AND status = 'failed'", (key,))
            cur.execute(f"INSERT OR IGNORE INTO runs ({_COLS}) VALUES ({','.join('?' * 14)})", values)
            return cur.rowcount == 1

    def rows(self, status: str | None = "ok", bench: str | None = None) -> list[RunRow]:
        """Stored runs in insertion order, filtered by status (``None``: all) and bench name."""
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
        out = []
        for r in self._conn.execute(q + " ORDER BY id", args):
            result = None if r[7] is None else json.loads(r[7])
            out.append(RunRow(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), result, r[8], r[9],
                              json.loads(r[10]), r[11], r[12], r[13]))
        return out

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction: committed whole, or rolled back on any error."""
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def __iter__(self) -> Iterator[RunRow]:
        return iter(self.rows(status=None))
