"""The benchmark: ``BenchConfig`` grid -> runner -> SQLite store -> statistics -> report.

Each stage reads only the previous stage's output: :class:`BenchConfig` expands to TrainConfig
cells, :func:`run_grid` (or :func:`run_grid_ray`) trains the unfinished ones into a
:class:`ResultStore`, :mod:`actlab.bench.stats` computes over runs x tasks arrays and
:func:`write_report` renders Markdown and HTML.
"""

from .analysis import BenchData, Ranking, collect, match_baselines, rank_methods
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
from .ray_backend import RayConnectError, run_grid_ray
from .report import write_report
from .runner import BenchInterrupted, RunSummary, default_train, run_grid
from .store import ResultStore, RunRow, StoreError, provenance
from .views import ReportError, View, select_rows

__all__ = [
    "ActSpec",
    "BenchConfig",
    "BenchData",
    "BenchConfigError",
    "BenchInterrupted",
    "Cell",
    "OptSpec",
    "Ranking",
    "RayConnectError",
    "ReportError",
    "ResultStore",
    "RunRow",
    "RunSummary",
    "StoreError",
    "TaskSpec",
    "View",
    "apply_overrides",
    "cell_key",
    "collect",
    "default_train",
    "list_presets",
    "load_bench_config",
    "match_baselines",
    "provenance",
    "rank_methods",
    "run_grid",
    "run_grid_ray",
    "select_rows",
    "write_report",
]
