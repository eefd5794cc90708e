"""The top-level API: ``actlab.__all__`` is exact, complete for the pipeline, and free of internals."""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import actlab


def test_all_names_exist_and_are_unique():
    assert len(actlab.__all__) == len(set(actlab.__all__))
    missing = [n for n in actlab.__all__ if not hasattr(actlab, n)]
    assert not missing


def test_namespace_holds_nothing_beyond_all():
    public = {n for n, v in vars(actlab).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)}
    assert public == set(actlab.__all__) - {"__version__"}, public ^ set(actlab.__all__)


def test_every_stage_of_the_pipeline_is_exported():
    stages = {
        "zoo": ["create_activation", "list_activations", "activation_info", "register_activation", "per_layer"],
        "models": ["create_model", "list_models", "model_info", "register_model"],
        "surgery": ["swap_activations", "param_groups"],
        "data": ["load_dataset", "list_datasets"],
        "init": ["autoinit", "init_model", "measure_init", "activation_moments"],
        "train": ["TrainConfig", "train_one", "RunResult"],
        "bench": ["load_bench_config", "BenchConfig", "run_grid", "ResultStore", "collect", "rank_methods"],
        "stats": ["mean_ci", "friedman", "wilcoxon_holm", "nemenyi_cd"],
        "report": ["write_report"],
        "profile": ["profile_elementwise", "profile_model_step"],
    }
    for stage, names in stages.items():
        assert set(names) <= set(actlab.__all__), (stage, set(names) - set(actlab.__all__))


def test_internals_are_not_exported():
    for name in ("margin_loss", "set_compile_kernels"):
        assert name not in actlab.__all__
    assert not hasattr(actlab, "margin_loss") and not hasattr(actlab, "set_compile_kernels")
    from actlab.models.mocapsnet import margin_loss  # still importable where it belongs

    assert callable(margin_loss)


def test_exported_callables_are_documented():
    objs = {n: getattr(actlab, n) for n in actlab.__all__}
    undocumented = [n for n, obj in objs.items() if callable(obj) and not inspect.getdoc(obj)]
    assert not undocumented


def test_top_level_module_has_no_marker_comments():
    source = Path(actlab.__file__).read_text()
    markers = re.findall(r"#.*?(\[[a-z]+-[a-z-]+\]|\b(?:api|all|models)-[a-z]+\b)", source)
    assert not markers, markers
