"""``BenchConfig``: a benchmark grid and its training recipe, read strictly from TOML.

A benchmark is the grid ``tasks x activations x inits x optimizers x seeds``, where a task is a
(dataset, model) pair (by default every dataset with every model). Each grid point is one
:class:`Cell`: a full :class:`actlab.train.TrainConfig` dict plus the key the results store uses.

File layout (every key optional except the grid's activations)::

    name = "quick"
    description = "..."
    [grid]
    datasets = ["digits", "mnist1d"]          # x models, unless `tasks` is given
    models = ["mlp"]
    model_kwargs = { mlp = { width = 128 } }  # per model name
    tasks = [{ dataset = "digits", model = "mlp", model_kwargs = {}, recipe = {} }]
    activations = ["relu", { name = "pvlu", params = { alpha = 0.1 }, label = "pvlu" }]
    inits = ["default"]
    optimizers = ["adam", { name = "sgd", lr = 0.1, momentum = 0.9 }]
    seeds = [0, 1, 2]
    [recipe]                                  # any other TrainConfig field
    epochs = 10
    batch_size = 128
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._version import __version__
from ..errors import UserError

__all__ = [
    "ActSpec",
    "BenchConfig",
    "BenchConfigError",
    "Cell",
    "OptSpec",
    "TaskSpec",
    "cell_key",
]

_TOP_KEYS = ("name", "description", "grid", "recipe")
_GRID_KEYS = ("datasets", "models", "model_kwargs", "tasks", "activations", "inits", "optimizers", "seeds")
# TrainConfig fields the grid sets; the recipe may not set them.
_GRID_OWNED = ("dataset", "model", "model_kwargs", "act", "act_params", "init", "optimizer", "seed")


class BenchConfigError(UserError, ValueError):
    """An invalid benchmark configuration; the message names the field and the valid choices."""


@dataclass(frozen=True)
class TaskSpec:
    """One task of the comparison: a dataset and a model (with builder kwargs).

    ``recipe`` overrides the benchmark's recipe for this task only (e.g. ``batch_size = 64`` on
    CIFAR-100 in the Dubey et al. protocol).
    """

    dataset: str
    model: str
    model_kwargs: dict = field(default_factory=dict)
    recipe: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.model}"


@dataclass(frozen=True)
class ActSpec:
    """One compared activation: registry name, constructor params and the label used in reports."""

    name: str
    params: dict = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            args = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
            object.__setattr__(self, "label", f"{self.name}({args})" if args else self.name)


@dataclass(frozen=True)
class OptSpec:
    """An optimizer name and the TrainConfig fields it sets (``lr``, ``momentum``, ...)."""

    name: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    """One run of the grid: its full TrainConfig dict, its store key and its place in the grid."""

    key: str
    config: dict
    task: str
    method: str
    seed: int

    def train_config(self) -> Any:
        """This run as an :class:`actlab.train.TrainConfig`."""
        from ..train.config import TrainConfig

        return TrainConfig.from_dict(self.config)


@dataclass(frozen=True)
class BenchConfig:
    """A validated benchmark: tasks x activations x inits x optimizers x seeds, and a recipe.

    Build it with :func:`actlab.bench.load_bench_config` (preset name or TOML file, plus ``--set`` overrides) or
    :meth:`from_dict`. :meth:`cells` expands it into runs.
    """

    name: str
    description: str
    tasks: tuple[TaskSpec, ...]
    activations: tuple[ActSpec, ...]
    inits: tuple[str, ...]
    optimizers: tuple[OptSpec, ...]
    seeds: tuple[int, ...]
    recipe: dict

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], check_names: bool = True) -> BenchConfig:
        """Parses and validates a TOML-shaped dict.

        Args:
            d: the parsed TOML document.
            check_names: check activation/model/dataset names against the registries.

        Raises:
            BenchConfigError: unknown key, wrong type, unknown name (with the closest valid ones).
        """
        _keys("", d, _TOP_KEYS)
        grid = d.get("grid", {})
        _type("grid", grid, dict)
        _keys("grid.", grid, _GRID_KEYS)
        recipe = dict(d.get("recipe", {}))
        _type("recipe", recipe, dict)
        owned = [k for k in recipe if k in _GRID_OWNED]
        if owned:
            raise BenchConfigError(
                f"recipe.{owned[0]} is set by the grid; put it in [grid] (e.g. grid.{_grid_field(owned[0])})"
            )
        cfg = cls(
            name=_type("name", d.get("name", "custom"), str),
            description=_type("description", d.get("description", ""), str),
            tasks=_parse_tasks(grid),
            activations=tuple(_parse_act(i, a) for i, a in enumerate(_list(grid, "activations", None))),
            inits=tuple(_type(f"grid.inits[{i}]", x, str) for i, x in enumerate(_list(grid, "inits", ["default"]))),
            optimizers=tuple(_parse_opt(i, o) for i, o in enumerate(_list(grid, "optimizers", ["adam"]))),
            seeds=tuple(_int(f"grid.seeds[{i}]", s) for i, s in enumerate(_list(grid, "seeds", [0]))),
            recipe=recipe,
        )
        _check_shadowed(cfg)
        labels = [a.label for a in cfg.activations]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise BenchConfigError(f"grid.activations: label(s) {dup} appear twice; give each entry a distinct `label`")
        if check_names:
            cfg.check_names()
        return cfg

    def check_names(self) -> None:
        """Checks every activation, model and dataset name against its registry."""
        from ..activations import ACTIVATIONS, list_activations
        from ..data import list_datasets
        from ..models import list_models

        for a in self.activations:  # the registry resolves aliases and derived names ("pvlu-glu")
            if a.name not in ACTIVATIONS:
                hint = _closest(a.name, list_activations())
                raise BenchConfigError(f"grid.activations: unknown name {a.name!r}{hint}")
        for field_name, names, valid in (
            ("grid.models", [t.model for t in self.tasks], list_models()),
            ("grid.datasets", [t.dataset for t in self.tasks], list_datasets()),
        ):
            for n in names:
                if n not in valid:
                    raise BenchConfigError(f"{field_name}: unknown name {n!r}{_closest(n, valid)}")

    def cells(self, make_config: Callable[[dict], dict] | None = None) -> list[Cell]:
        """Expands the grid into runs, in task, activation, init, optimizer, seed order.

        Args:
            make_config: validates one TrainConfig dict and returns its full form (all defaults
                filled in); defaults to ``TrainConfig.from_dict(d).to_dict()``.

        Raises:
            BenchConfigError: a cell that TrainConfig rejects, naming the cell.
        """
        if make_config is None:
            from ..train.config import TrainConfig

            make_config = lambda d: TrainConfig.from_dict(d).to_dict()  # noqa: E731
        out = []
        for task in self.tasks:
            for act in self.activations:
                for init in self.inits:
                    for opt in self.optimizers:
                        for seed in self.seeds:
                            raw = {
                                **self.recipe,
                                **task.recipe,
                                **opt.params,
                                "optimizer": opt.name,
                                "dataset": task.dataset,
                                "model": task.model,
                                "model_kwargs": dict(task.model_kwargs),
                                "act": act.name,
                                "act_params": dict(act.params),
                                "init": init,
                                "seed": seed,
                            }
                            try:
                                full = make_config(raw)
                            except (TypeError, ValueError) as e:
                                where = f"{task.label} x {act.label} x init={init} x optimizer={opt.name}"
                                raise BenchConfigError(f"bench config {self.name!r}, cell {where}: {e}") from e
                            out.append(Cell(cell_key(full), full, task.label, self.method_label(act, init, opt), seed))
        return out

    def method_label(self, act: ActSpec, init: str, opt: OptSpec) -> str:
        """The compared method's name: the activation label, plus init/optimizer when they vary."""
        parts = [act.label]
        if len(self.inits) > 1:
            parts.append(init)
        if len(self.optimizers) > 1:
            parts.append(opt.name + "".join(f",{k}={v}" for k, v in sorted(opt.params.items())))
        return " | ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The TOML-shaped dict :meth:`from_dict` reads back into an equal config."""
        return {
            "name": self.name,
            "description": self.description,
            "grid": {
                "tasks": [dataclasses.asdict(t) for t in self.tasks],
                "activations": [dataclasses.asdict(a) for a in self.activations],
                "inits": list(self.inits),
                "optimizers": [{"name": o.name, **o.params} for o in self.optimizers],
                "seeds": list(self.seeds),
            },
            "recipe": dict(self.recipe),
        }


def cell_key(config: Mapping[str, Any], version: str = __version__) -> str:
    """The store key of a run: sha256 of its full config and the actlab version (canonical JSON)."""
    blob = json.dumps({"config": config, "actlab": version}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


# ---------------------------------------------------------------------------------- helpers
def _closest(name: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(name), list(valid), n=3, cutoff=0.5)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else f"; valid: {', '.join(sorted(valid)[:30])}"


def _keys(prefix: str, d: Mapping[str, Any], valid: Sequence[str]) -> None:
    for k in d:
        if k not in valid:
            raise BenchConfigError(f"unknown key {prefix}{k}{_closest(k, valid)}")


def _type(name: str, value: Any, typ: type) -> Any:
    if not isinstance(value, typ) or (typ is not bool and isinstance(value, bool)):
        raise BenchConfigError(f"{name} must be a {typ.__name__}, got {type(value).__name__}: {value!r}")
    return value


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BenchConfigError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    return value


def _list(grid: Mapping[str, Any], key: str, default: list | None) -> list:
    if key not in grid:
        if default is None:
            raise BenchConfigError(f"grid.{key} is required, e.g. {key} = [\"relu\", \"gelu\"]")
        return default
    value = _type(f"grid.{key}", grid[key], list)
    if not value:
        raise BenchConfigError(f"grid.{key} is empty; give at least one entry")
    return value


def _grid_field(train_key: str) -> str:
    return {"dataset": "datasets", "model": "models", "act": "activations", "act_params": "activations",
            "init": "inits", "optimizer": "optimizers", "seed": "seeds"}.get(train_key, train_key)


def _parse_tasks(grid: Mapping[str, Any]) -> tuple[TaskSpec, ...]:
    if "tasks" in grid:
        clash = [k for k in ("datasets", "models", "model_kwargs") if k in grid]
        if clash:
            raise BenchConfigError(f"grid.tasks excludes grid.{clash[0]}; list dataset/model pairs in tasks only")
        tasks = []
        for i, t in enumerate(_list(grid, "tasks", None)):
            _type(f"grid.tasks[{i}]", t, dict)
            _keys(f"grid.tasks[{i}].", t, ("dataset", "model", "model_kwargs", "recipe"))
            for k in ("dataset", "model"):
                if k not in t:
                    raise BenchConfigError(f"grid.tasks[{i}] needs a {k!r}")
                _type(f"grid.tasks[{i}].{k}", t[k], str)
            recipe = dict(_type(f"grid.tasks[{i}].recipe", t.get("recipe", {}), dict))
            owned = [k for k in recipe if k in _GRID_OWNED]
            if owned:
                raise BenchConfigError(f"grid.tasks[{i}].recipe.{owned[0]} is set by the grid, not by a task's recipe")
            kw = dict(_type(f"grid.tasks[{i}].model_kwargs", t.get("model_kwargs", {}), dict))
            tasks.append(TaskSpec(t["dataset"], t["model"], kw, recipe))
        return tuple(tasks)
    datasets = [_type(f"grid.datasets[{i}]", x, str) for i, x in enumerate(_list(grid, "datasets", ["digits"]))]
    models = [_type(f"grid.models[{i}]", x, str) for i, x in enumerate(_list(grid, "models", ["mlp"]))]
    mk = _type("grid.model_kwargs", grid.get("model_kwargs", {}), dict)
    for m, kw in mk.items():
        if m not in models:
            raise BenchConfigError(f"grid.model_kwargs.{m}: {m!r} is not in grid.models{_closest(m, models)}")
        _type(f"grid.model_kwargs.{m}", kw, dict)
    return tuple(TaskSpec(d, m, dict(mk.get(m, {}))) for d in datasets for m in models)


def _parse_act(i: int, a: Any) -> ActSpec:
    if isinstance(a, str):
        return ActSpec(a)
    _type(f"grid.activations[{i}]", a, dict)
    _keys(f"grid.activations[{i}].", a, ("name", "params", "label"))
    if "name" not in a:
        raise BenchConfigError(
            f"grid.activations[{i}] needs a 'name', e.g. {{ name = \"pvlu\", params = {{ alpha = 0.1 }} }}"
        )
    return ActSpec(
        _type(f"grid.activations[{i}].name", a["name"], str),
        dict(_type(f"grid.activations[{i}].params", a.get("params", {}), dict)),
        _type(f"grid.activations[{i}].label", a.get("label", ""), str),
    )


def _check_shadowed(cfg: BenchConfig) -> None:
    """A recipe key that an optimizer entry also sets would be silently overridden by it: an error."""
    for i, opt in enumerate(cfg.optimizers):
        for where, recipe in [("recipe", cfg.recipe)] + [(f"grid.tasks[{j}].recipe", t.recipe)
                                                           for j, t in enumerate(cfg.tasks)]:
            both = sorted(set(recipe) & set(opt.params))
            if both:
                k = both[0]
                raise BenchConfigError(
                    f"{where}.{k} = {recipe[k]!r} would be overridden by grid.optimizers[{i}] "
                    f"({opt.name}, {k} = {opt.params[k]!r}); set {k} in the optimizer entry, "
                    f"e.g. --set 'grid.optimizers=[{{name=\"{opt.name}\", {k}={recipe[k]!r}}}]'"
                )


def _parse_opt(i: int, o: Any) -> OptSpec:
    if isinstance(o, str):
        return OptSpec(o)
    _type(f"grid.optimizers[{i}]", o, dict)
    if "name" not in o:
        raise BenchConfigError(f"grid.optimizers[{i}] needs a 'name', e.g. {{ name = \"sgd\", lr = 0.1 }}")
    params = {k: v for k, v in o.items() if k != "name"}
    owned = [k for k in params if k in _GRID_OWNED]
    if owned:
        raise BenchConfigError(f"grid.optimizers[{i}].{owned[0]} is set by the grid, not by an optimizer entry")
    return OptSpec(_type(f"grid.optimizers[{i}].name", o["name"], str), params)
