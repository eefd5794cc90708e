"""The benchmark: ``BenchConfig`` grid -> runner -> SQLite store -> statistics -> report.

Each stage reads only the previous stage's output: :class:`BenchConfig` expands to TrainConfig
cells, :func:`run_grid` (or :func:`run_grid_ray`) trains the unfinished ones into a
:class:`ResultStore`, :mod:`actlab.bench.stats` computes over runs x tasks arrays and
:func:`write_report` renders Markdown and HTML.
"""

from .config import (
    ActSpec,
    BenchConfig,
    BenchConfigError,
    Cell,
    OptSpec,
    TaskSpec,
    apply_overrides,
    cell_key,
    list_presets,
    load_bench_config,
)
from .runner import RunSummary, default_train, run_grid
from .store import ResultStore, RunRow, provenance

__all__ = [
    "ActSpec",
    "BenchConfig",
    "BenchConfigError",
    "Cell",
    "OptSpec",
    "ResultStore",
    "RunRow",
    "RunSummary",
    "TaskSpec",
    "apply_overrides",
    "cell_key",
    "default_train",
    "list_presets",
    "load_bench_config",
    "provenance",
    "run_grid",
]
