"""The benchmark's pre-flight check: build every distinct cell of a grid without training.

A grid of datasets x models x activations x inits x optimizers x seeds has far fewer distinct
builds than runs: the seed changes the weights, not whether the run can start. Each distinct
config (its TrainConfig without the seed) goes through :func:`actlab.train.check_config` (the
dataset with its kwargs and on-disk files, the model with its kwargs, the activation with its
params, the init, the optimizer and its schedule, the device), and every problem is reported
once, with the cells it affects. ``actlab bench --dry-run`` prints them; a runner calls
:func:`check_cells` before starting, so that a typo fails the grid at once instead of each run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from .config import Cell

__all__ = ["CellProblem", "check_cells", "format_problems"]


@dataclass(frozen=True)
class CellProblem:
    """One problem found by :func:`check_cells`.

    Args:
        message: what is wrong and how to fix it (the error the runs would raise); internal
            errors (not caused by the config) are prefixed with their exception type.
        cells: the distinct cells it affects, as ``"task x method"``.
        runs: how many runs of the grid (seeds included) it affects.
        user_error: False for an internal error (a bug of actlab or of a registered component).
    """

    message: str
    cells: tuple[str, ...]
    runs: int
    user_error: bool = True


def _distinct(cells: Sequence[Cell]) -> dict[str, list[Cell]]:
    groups: dict[str, list[Cell]] = {}
    for c in cells:
        key = json.dumps({k: v for k, v in c.config.items() if k != "seed"}, sort_keys=True, default=str)
        groups.setdefault(key, []).append(c)
    return groups


def check_cells(cells: Sequence[Cell], check: Callable[[Any], None] | None = None) -> list[CellProblem]:
    """Builds each distinct cell (config without its seed) once and returns the problems found.

    Args:
        cells: the grid, from :meth:`actlab.bench.BenchConfig.cells`.
        check: ``check(TrainConfig)``, raising what a run would raise before training; default
            :func:`actlab.train.check_config`.

    Returns:
        One :class:`CellProblem` per distinct message, in grid order; empty when every cell builds.
    """
    if check is None:
        from ..train.setup import check_config

        check = check_config
    found: dict[str, tuple[list[str], int, bool]] = {}
    for group in _distinct(cells).values():
        first = group[0]
        try:
            check(first.train_config())
            continue
        except (UserError, ValueError, OSError) as e:
            message, user = str(e), True
        except Exception as e:  # noqa: BLE001 - reported, not raised: a problem of this cell only
            message, user = f"internal error {type(e).__name__}: {e}", False
        where, runs, _ = found.setdefault(message, ([], 0, user))
        where.append(f"{first.task} x {first.method}")
        found[message] = (where, runs + len(group), user)
    return [CellProblem(m, tuple(w), n, u) for m, (w, n, u) in found.items()]


def format_problems(problems: Sequence[CellProblem], cells: Sequence[Cell]) -> str:
    """The dry-run report: how many distinct cells were built and each problem once."""
    n_distinct = len(_distinct(cells))
    if not problems:
        return f"dry run: all {n_distinct} distinct cells ({len(cells)} runs) build: data, model, init, optimizer"
    bad_runs = sum(p.runs for p in problems)
    lines = [f"dry run: {len(problems)} problem(s) in {n_distinct} distinct cells; {bad_runs} of {len(cells)} runs "
             "would fail:"]
    for i, p in enumerate(problems, 1):
        shown = ", ".join(p.cells[:3]) + (f" and {len(p.cells) - 3} more" if len(p.cells) > 3 else "")
        lines.append(f"  {i}. {p.message}\n     ({p.runs} runs: {shown})")
    return "\n".join(lines)
