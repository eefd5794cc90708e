"""Cell leases: how two benchmark processes on one database never train the same cell twice.

Before a driver trains a cell it *claims* the cell's key in the ``claims`` table of the results
database, in the same ``BEGIN IMMEDIATE`` transaction that checks the key is neither stored nor
claimed by another live driver. A claim carries its owner (``host:pid:token``) and an expiry
time; a running driver renews its claims (:class:`Heartbeat`), storing a result deletes the
claim, and a claim whose expiry passed, or whose owner is a dead process on this host (a driver
killed with ``kill -9``), is free again. Everything here is a function of an open
``sqlite3.Connection`` so that the store stays the only owner of the file.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Sequence

__all__ = ["CLAIMS_SCHEMA", "DEFAULT_LEASE_S", "Heartbeat", "claim", "new_owner", "others_claims", "release", "renew"]

DEFAULT_LEASE_S = 60.0
"""Seconds a claim lives without renewal; a driver renews every quarter of it."""

CLAIMS_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires REAL NOT NULL
);
"""


def new_owner() -> str:
    """A unique owner id for one driver: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_dead(owner: str) -> bool:
    """True when ``owner`` is a process of this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine: only the expiry can free its claims
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def _free_stale(cur: sqlite3.Cursor, now: float) -> None:
    cur.execute("DELETE FROM claims WHERE expires < ?", (now,))
    for (owner,) in cur.execute("SELECT DISTINCT owner FROM claims").fetchall():
        if _owner_dead(owner):
            cur.execute("DELETE FROM claims WHERE owner = ?", (owner,))


def claim(
    conn: sqlite3.Connection,
    keys: Sequence[str],
    owner: str,
    n: int,
    *,
    retry_failed: bool = False,
    lease_s: float = DEFAULT_LEASE_S,
) -> list[str]:
    """Claims up to ``n`` of ``keys`` (in order) that are not stored and not claimed by a live other driver.

    A stored ``failed`` run counts as done unless ``retry_failed``. Keys this owner already holds
    are not returned again. One write transaction: two drivers never get the same key.
    """
    if n <= 0:
        return []
    now = time.time()
    cur = conn.cursor()
    cur.execute("BEGIN IMMEDIATE")
    try:
        _free_stale(cur, now)
        done_q = "SELECT key FROM runs WHERE status = 'ok'" if retry_failed else "SELECT key FROM runs"
        done = {r[0] for r in cur.execute(done_q)}
        held = {r[0] for r in cur.execute("SELECT key FROM claims")}
        got: list[str] = []
        for k in keys:
            if k in done or k in held or k in got:
                continue
            cur.execute("INSERT INTO claims (key, owner, expires) VALUES (?, ?, ?)", (k, owner, now + lease_s))
            got.append(k)
            if len(got) >= n:
                break
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    cur.execute("COMMIT")
    return got


def release(conn: sqlite3.Connection, owner: str, keys: Iterable[str] | None = None) -> None:
    """Gives back this owner's claims on ``keys`` (all of them when ``None``)."""
    if keys is None:
        conn.execute("DELETE FROM claims WHERE owner = ?", (owner,))
    else:
        conn.executemany("DELETE FROM claims WHERE key = ? AND owner = ?", [(k, owner) for k in keys])


def renew(conn: sqlite3.Connection, owner: str, lease_s: float = DEFAULT_LEASE_S) -> None:
    """Pushes the expiry of every claim of ``owner`` to ``now + lease_s``."""
    conn.execute("UPDATE claims SET expires = ? WHERE owner = ?", (time.time() + lease_s, owner))


def others_claims(conn: sqlite3.Connection, keys: Iterable[str], owner: str) -> dict[str, str]:
    """``{key: owner}`` of the live claims on ``keys`` held by other drivers."""
    wanted = set(keys)
    rows = conn.execute("SELECT key, owner FROM claims WHERE owner != ? AND expires >= ?", (owner, time.time()))
    return {k: o for k, o in rows if k in wanted and not _owner_dead(o)}


class Heartbeat:
    """A daemon thread renewing one owner's claims every ``lease_s / 4`` s on its own connection
    (a long cell trained in the driver's own thread keeps its claim)."""

    def __init__(self, path: str, owner: str, lease_s: float = DEFAULT_LEASE_S) -> None:
        self._path, self._owner, self._lease = path, owner, lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="actlab-lease-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=30.0, isolation_level=None)
        try:
            while not self._stop.wait(self._lease / 4):
                try:
                    renew(conn, self._owner, self._lease)
                except sqlite3.Error:  # a busy or full database: the next beat tries again
                    continue
        finally:
            conn.close()
