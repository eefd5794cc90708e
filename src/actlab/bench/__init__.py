"""The benchmark: ``BenchConfig`` grid -> runner -> SQLite store -> statistics -> report.

Each stage reads only the previous stage's output: :class:`BenchConfig` expands to TrainConfig
cells, :func:`run_grid` (or :func:`run_grid_ray`) trains the unfinished ones into a
:class:`ResultStore`, :mod:`actlab.bench.stats` computes over runs x tasks arrays and
:func:`write_report` renders Markdown and HTML.
"""

from .analysis import BenchData, Ranking, collect, rank_methods
from .config import (
    ActSpec,
    BenchConfig,
    BenchConfigError,
    Cell,
    OptSpec,
    TaskSpec,
    cell_key,
)
from .loading import apply_overrides, list_presets, load_bench_config
from .ray_backend import run_grid_ray
from .report import write_report
from .runner import RunSummary, default_train, run_grid
from .store import ResultStore, RunRow, provenance

__all__ = [
    "ActSpec",
    "BenchConfig",
    "BenchData",
    "BenchConfigError",
    "Cell",
    "OptSpec",
    "Ranking",
    "ResultStore",
    "RunRow",
    "RunSummary",
    "TaskSpec",
    "apply_overrides",
    "cell_key",
    "collect",
    "default_train",
    "list_presets",
    "load_bench_config",
    "provenance",
    "rank_methods",
    "run_grid",
    "run_grid_ray",
    "write_report",
]
