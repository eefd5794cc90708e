"""Which stored runs a report shows: a view of one grid, never "whatever is in the file".

A database keeps every run it was given: several benches, configs changed between runs (``--set
recipe.epochs=1``), several actlab versions. A ranking mixes none of them. :func:`select_rows`
keeps either exactly the cells of a named grid (their keys: what ``actlab bench`` reports) or,
without a grid, the runs of one bench name and one actlab version (the newest stored, unless
chosen), and says in :attr:`View.notes` what it left out and how to include it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..errors import UserError
from .store import RunRow

__all__ = ["ReportError", "View", "row_version", "select_rows"]


class ReportError(UserError, ValueError):
    """A report that cannot be made as asked (no runs in the chosen view), with how to choose another."""


@dataclass(frozen=True)
class View:
    """The rows of one view (finished and failed) and one sentence per kind of row left out."""

    rows: list[RunRow]
    notes: list[str]
    versions: list[str]


def row_version(r: RunRow) -> str:
    """The actlab version that wrote a run (``"unknown"`` for rows without one)."""
    return str(r.versions.get("actlab", "unknown"))


def _counted(c: Counter[str]) -> str:
    return ", ".join(f"{n} of {k}" for k, n in sorted(c.items()))


def select_rows(
    rows: Sequence[RunRow],
    *,
    keys: Collection[str] | None = None,
    bench: str | None = None,
    version: str | None = None,
    all_versions: bool = False,
    db: str = "DB",
) -> View:
    """The rows a report of ``rows`` shows, and notes on the rest.

    Args:
        rows: every stored run (any status), in insertion order.
        keys: the cells of the grid the user named (``actlab bench``, or ``actlab report`` with
            ``--preset/--config/--set``): exactly these are shown.
        bench: without ``keys``, only runs of this bench name (default: the bench of the newest run).
        version: without ``keys``, only runs written by this actlab version (default: the
            version of the newest run of the bench). ``all_versions`` keeps every version (the
            notes then say the ranking mixes them).
        db: the database path, quoted in the notes' commands.
    """
    notes: list[str] = []
    if keys is not None:
        wanted = set(keys)
        shown = [r for r in rows if r.key in wanted]
        rest = [r for r in rows if r.key not in wanted]
        if rest:
            by_version = Counter(row_version(r) for r in rest)
            notes.append(f"{len(rest)} stored runs are not cells of this grid and were left out of this view "
                         f"(kept in the database): by actlab version, {_counted(by_version)}. They are other configs "
                         f"(e.g. an earlier --set), other benches or versions; `actlab report {db} --bench NAME "
                         f"--version V` reports one of them.")
        return View(shown, notes, sorted({row_version(r) for r in shown}))
    if bench is None and rows:
        bench = rows[-1].bench
    others = Counter(r.bench for r in rows if r.bench != bench)
    if others:
        notes.append(f"left out: runs of other benches ({_counted(others)}); `actlab report {db} --bench NAME` "
                     f"reports one of them.")
    mine = [r for r in rows if r.bench == bench]
    versions = sorted({row_version(r) for r in mine})
    if all_versions:
        if len(versions) > 1:
            notes.append(f"--all-versions: this view mixes the runs of actlab {', '.join(versions)}.")
    else:
        version = version or (row_version(mine[-1]) if mine else None)
        other_v = Counter(row_version(r) for r in mine if row_version(r) != version)
        if other_v:
            notes.append(f"left out: runs of other actlab versions ({_counted(other_v)}); `actlab report {db} "
                         f"--version V` reports one version, `--all-versions` mixes them.")
        mine = [r for r in mine if row_version(r) == version]
        versions = [version] if mine and version else []
    points = Counter((r.task, r.method, r.seed) for r in mine if r.status == "ok")
    repeated = sum(n - 1 for n in points.values() if n > 1)
    if repeated:
        notes.append(f"{repeated} older runs of the same task, method and seed with another config were superseded "
                     f"by the newest; to report one grid exactly, name it: `actlab report {db} --config FILE` (or "
                     f"--preset, with the same --set as the bench).")
    return View(mine, notes, versions)
