"""``actlab claims``: every seed paper's claim, tested with statistics, in one report.

A registry of declarative studies (:class:`Study`: the paper's claim, a grid of bench runs, a
statistic, and a verdict :class:`Rule` fixed before running), run through the bench machinery
(:func:`run_claims`: same store, resume and backends) and reported with effect sizes, 95 %
intervals and verdicts (:func:`write_claims_report`).
"""

from .effects import METRICS, Effect, compute_effect, run_metric, t_interval, wilson
from .protocols import train_cell
from .registry import PAPERS, STUDIES, get_studies, list_studies, papers_without_study
from .report import StudyResult, evaluate_study, verdict_table, write_claims_report
from .runner import ClaimsRun, data_available, run_claims
from .study import Method, Statistic, Study, Task
from .verdict import VERDICTS, Rule, decide

__all__ = [
    "METRICS",
    "PAPERS",
    "STUDIES",
    "VERDICTS",
    "ClaimsRun",
    "Effect",
    "Method",
    "Rule",
    "Statistic",
    "Study",
    "StudyResult",
    "Task",
    "compute_effect",
    "data_available",
    "decide",
    "evaluate_study",
    "get_studies",
    "list_studies",
    "papers_without_study",
    "run_claims",
    "run_metric",
    "t_interval",
    "train_cell",
    "verdict_table",
    "wilson",
    "write_claims_report",
]
