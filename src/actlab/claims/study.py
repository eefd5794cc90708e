"""A claim study, declared: the paper's claim, the grid that tests it, its statistic and its rule.

A :class:`Study` is data. Its grid (``tasks x methods x seeds`` with a recipe) expands, one
(task, method) pair at a time, into :class:`actlab.bench.BenchConfig` documents and from there
into bench :class:`~actlab.bench.Cell` runs, so claims share the bench's store, resume and
backends. ``quick`` shrinks the budget (fewer seeds and epochs) and is reported as such. A
study whose data cannot ship (``needs_data``) has no runs and gets the verdict ``needs data``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..bench import BenchConfig, Cell
from .protocols import REGISTRY_NAMES
from .protocols import make_config as protocol_config
from .verdict import Rule

__all__ = ["Task", "Method", "Statistic", "Study", "STAT_KINDS"]

STAT_KINDS = ("paired", "trend", "fraction", "correlation", "rank_stability")
TRANSFORMS = ("diff", "reduction")


@dataclass(frozen=True)
class Task:
    """A (dataset, model) pair with builder kwargs and per-task recipe overrides, under a label."""

    label: str
    dataset: str
    model: str
    model_kwargs: dict = field(default_factory=dict)
    recipe: dict = field(default_factory=dict)
    x: float | None = None  # the task's position on a trend's axis (depth, time steps, ...)


@dataclass(frozen=True)
class Method:
    """A compared configuration: an activation plus the other TrainConfig fields it sets.

    ``fields`` may set any TrainConfig field but the grid's own (e.g. ``reinit_generations``,
    ``langevin_sigma``, ``optimizer``, ``init``); ``model_kwargs`` are merged into each task's.
    """

    label: str
    act: str = "relu"
    act_params: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    model_kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Statistic:
    """What is computed from the runs, one value per seed (the unit of the interval).

    Kinds (``a``/``b`` are method labels, ``metric`` a run metric of :mod:`actlab.claims.effects`):

    * ``paired``: per seed, the mean over tasks (and over ``pairs``) of ``m(a) - m(b)``
      (``transform="diff"``) or of ``(m(b) - m(a)) / m(b)`` (``"reduction"``: relative error or
      cost reduction of ``a``).
    * ``trend``: per seed, the least-squares slope of ``m(a) - m(b)`` against the tasks' ``x``.
    * ``fraction``: the share of runs of methods ``a`` (several allowed) with ``m >= 1``, Wilson
      interval over runs.
    * ``correlation``: per seed, Pearson's r across tasks between metric ``metric`` and
      ``metric_y`` of method ``a``; Fisher-z t interval over seeds.
    * ``rank_stability``: per seed, the mean Spearman correlation between the method rankings of
      every two tasks.
    """

    kind: str
    a: tuple[str, ...] = ()
    b: tuple[str, ...] = ()
    metric: str = "acc"
    metric_y: str = ""
    transform: str = "diff"
    scale: float = 1.0  # display scale (100 -> percentage points)
    tasks: tuple[str, ...] = ()  # restrict to these task labels (default: all)
    extra: tuple[tuple[str, str], ...] = ()  # more (a, b) comparisons, on every task, shown in the detail only

    def __post_init__(self) -> None:
        if self.kind not in STAT_KINDS:
            raise ValueError(f"Statistic.kind must be one of {STAT_KINDS}, got {self.kind!r}")
        if self.transform not in TRANSFORMS:
            raise ValueError(f"Statistic.transform must be one of {TRANSFORMS}, got {self.transform!r}")
        if self.kind in ("paired", "trend") and (not self.a or len(self.a) != len(self.b)):
            raise ValueError(f"a {self.kind} statistic needs pairs: equal, non-empty a and b, got {self.a}, {self.b}")


@dataclass(frozen=True)
class Study:
    """One claim of one seed paper and the experiment that tests it.

    Args:
        name: registry name (``"xor_ada"``). paper: the seed paper's number in the spec (1-20).
        claim: the claim in the paper's words (from the spec). paper_number: the paper's figure.
        setup: our dataset, model and budget, in words. proxy: how the setting differs from the
            paper's, named honestly. original: what testing the original setting would need.
        statistic / rule: the effect computed and the verdict rule (fixed before running).
        effect: what the effect means, with its sign (``"ADA - ReLU test accuracy, pp"``).
        tasks / methods / seeds / recipe: the full grid; ``quick_seeds`` and ``quick_recipe``
            (merged over ``recipe``) the ``--quick`` one.
        protocol: ``None`` for plain training runs, else a protocol of :mod:`actlab.claims.protocols`.
        needs_data: the on-disk dataset the study needs and cannot ship: the runner skips the study
            (verdict ``needs data``) unless the dataset's folder exists.
    """

    name: str
    paper: int
    claim: str
    paper_number: str
    setup: str
    proxy: str
    original: str
    statistic: Statistic
    rule: Rule
    effect: str
    tasks: tuple[Task, ...] = ()
    methods: tuple[Method, ...] = ()
    seeds: tuple[int, ...] = (0, 1, 2)
    recipe: dict = field(default_factory=dict)
    quick_seeds: tuple[int, ...] = (0, 1, 2)
    quick_recipe: dict = field(default_factory=dict)
    quick_tasks: tuple[str, ...] = ()  # labels of the tasks a --quick run keeps (default: all)
    protocol: str | None = None
    needs_data: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.paper <= 20:
            raise ValueError(f"study {self.name!r}: paper must be a seed paper number 1-20, got {self.paper}")
        if not self.tasks or not self.methods:
            raise ValueError(f"study {self.name!r} has no tasks or methods; give both")
        if len(self.seeds) < 3 or len(self.quick_seeds) < 3:
            raise ValueError(f"study {self.name!r}: every study runs >= 3 seeds (quick included)")
        unknown = set(self.quick_tasks) - {t.label for t in self.tasks}
        if unknown:
            raise ValueError(f"study {self.name!r}: quick_tasks {sorted(unknown)} are not task labels")
        labels = {m.label for m in self.methods}
        for m in (*self.statistic.a, *self.statistic.b, *(x for pair in self.statistic.extra for x in pair)):
            if m and m not in labels:  # b = "" compares a with nothing: the metric itself
                raise ValueError(f"study {self.name!r}: statistic names method {m!r}, not in {sorted(labels)}")

    def budget(self, quick: bool) -> tuple[tuple[int, ...], dict]:
        """The seeds and recipe of the full or the ``--quick`` run."""
        return (self.quick_seeds, {**self.recipe, **self.quick_recipe}) if quick else (self.seeds, dict(self.recipe))

    def tasks_for(self, quick: bool) -> tuple[Task, ...]:
        """The tasks of the full or the ``--quick`` run."""
        if quick and self.quick_tasks:
            return tuple(t for t in self.tasks if t.label in self.quick_tasks)
        return self.tasks

    def bench_configs(self, quick: bool) -> list[tuple[Task, Method, BenchConfig]]:
        """The grid as one :class:`BenchConfig` per (task, method) (so that labels stay the study's)."""
        seeds, recipe = self.budget(quick)
        out = []
        for t in self.tasks_for(quick):
            for m in self.methods:
                fields = dict(m.fields)
                init = fields.pop("init", "default")
                opt = {"name": fields.pop("optimizer", recipe.get("optimizer", "adam")), **fields}
                doc = {
                    "name": f"claims/{self.name}",
                    "grid": {"tasks": [{"dataset": t.dataset, "model": t.model,
                                        "model_kwargs": {**t.model_kwargs, **m.model_kwargs},
                                        "recipe": {**t.recipe, **(self.quick_recipe if quick else {})}}],
                             "activations": [{"name": m.act, "params": dict(m.act_params), "label": m.label}],
                             "inits": [init], "optimizers": [opt], "seeds": list(seeds)},
                    "recipe": {k: v for k, v in recipe.items() if k != "optimizer"},
                }
                check = self.protocol is None or REGISTRY_NAMES[self.protocol]
                out.append((t, m, BenchConfig.from_dict(doc, check_names=check)))
        return out

    def cells(self, quick: bool, make_config: Callable[[dict], dict] | None = None) -> list[Cell]:
        """The study's runs, labelled with its task and method labels."""
        if make_config is None and self.protocol is not None:
            make_config = protocol_config(self.protocol)
        out = []
        for t, m, cfg in self.bench_configs(quick):
            for c in cfg.cells(make_config):
                out.append(dataclasses.replace(c, task=t.label, method=m.label))
        return out

    def task(self, label: str) -> Task:
        return next(t for t in self.tasks if t.label == label)

    def describe(self) -> dict[str, Any]:
        """The study's declaration as plain data (for ``actlab claims list --json`` and the report)."""
        return {"name": self.name, "paper": self.paper, "claim": self.claim, "paper_number": self.paper_number,
                "setup": self.setup, "proxy": self.proxy, "original": self.original, "effect": self.effect,
                "rule": self.rule.text(), "seeds": list(self.seeds), "quick_seeds": list(self.quick_seeds),
                "needs_data": self.needs_data}
