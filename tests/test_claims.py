"""actlab.claims: registry coverage, every study's verdict rule on synthetic effects, the
statistics against closed forms, the protocols, one tiny study end to end, and the CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from actlab.claims import (
    PAPERS,
    STUDIES,
    Method,
    Rule,
    Statistic,
    Study,
    Task,
    compute_effect,
    decide,
    papers_without_study,
    run_claims,
    t_interval,
    wilson,
    write_claims_report,
)
from actlab.claims.datasets import balanced_subset, class_subset
from actlab.cli.main import main
from actlab.data import load_dataset

# ------------------------------------------------------------------------------------- registry


def test_registry_covers_all_twenty_papers():
    assert sorted(PAPERS) == list(range(1, 21))
    assert papers_without_study() == []
    assert {s.paper for s in STUDIES.values()} == set(range(1, 21))


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_every_study_is_declared_completely(name):
    s = STUDIES[name]
    for text in (s.claim, s.paper_number, s.setup, s.proxy, s.original, s.effect):
        assert text.strip(), f"{name}: an empty description field"
    assert len(s.seeds) >= 3 and len(s.quick_seeds) >= 3
    assert "supported if" in s.rule.text()
    for quick in (False, True):
        cells = s.cells(quick)
        seeds, _ = s.budget(quick)
        assert len(cells) == len(s.tasks_for(quick)) * len(s.methods) * len(seeds)
        assert len({c.key for c in cells}) == len(cells)
    assert len(s.cells(True)) <= len(s.cells(False))


def test_needs_data_study_states_the_papers_number():
    s = STUDIES["hurricane_damage"]
    assert s.needs_data == "hurricane_damage" and "99" in s.paper_number


# ------------------------------------------------------------------------------------- rules


@pytest.mark.parametrize("lo, hi, rule, expected", [
    (0.1, 2.0, Rule(), "supported"),
    (-2.0, -0.1, Rule(), "not supported"),
    (-0.5, 0.5, Rule(), "inconclusive"),
    (-0.4, 0.4, Rule(delta=0.5), "not supported"),  # within the band of no practical effect
    (-0.6, 0.4, Rule(delta=0.5), "inconclusive"),
    (-2.0, -0.1, Rule(direction=-1), "supported"),
    (0.6, 0.9, Rule(ref=0.5), "supported"),
    (0.1, 0.4, Rule(direction=-1, ref=0.5), "supported"),
    (-0.9, 0.3, Rule(kind="noninferior", delta=1.0), "supported"),
    (-3.0, -1.5, Rule(kind="noninferior", delta=1.0), "not supported"),
    (-1.5, 0.5, Rule(kind="noninferior", delta=1.0), "inconclusive"),
    (math.nan, 1.0, Rule(), "inconclusive"),
])
def test_decide_table(lo, hi, rule, expected):
    assert decide(lo, hi, rule) == expected


def test_rule_rejects_bad_values():
    with pytest.raises(ValueError, match="direction"):
        Rule(direction=0)
    with pytest.raises(ValueError, match="kind"):
        Rule(kind="better")
    with pytest.raises(ValueError, match="out of order"):
        decide(1.0, 0.0, Rule())


# ------------------------------------------------------------------- statistics (closed forms)


def test_t_interval_matches_the_closed_form():
    m, lo, hi, n = t_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t_{0.975, 2} * sd / sqrt(n)
    assert (m, n) == (2.0, 3) and lo == pytest.approx(2 - half) and hi == pytest.approx(2 + half)
    assert math.isnan(t_interval([1.0])[1]) and t_interval([])[3] == 0


def test_wilson_matches_known_values():
    p, lo, hi = wilson(5, 10)
    assert p == 0.5 and lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    assert wilson(0, 10)[1] == 0.0


# ------------------------------------------- every study's rule on synthetic effect data


def _oriented_values(rule: Rule, case: str, n: int) -> list[float]:
    """Per-seed effects (in the effect's units) whose t interval gives ``case``."""
    u = max(rule.delta, 1.0)
    jitter = [0.01 * u * (i % 3 - 1) for i in range(n)]
    if case == "supported":
        o = [3 * u + j for j in jitter]
    elif case == "not supported":
        o = [-(3 * u + 2 * rule.delta) + j for j in jitter]
    else:  # wide and straddling the decision boundary
        centre = -rule.delta if rule.kind == "noninferior" else 0.0
        o = [centre + (8 * u if i % 2 else -8 * u) for i in range(n)]
    return [rule.ref + rule.direction * v for v in o]


def _synthetic_table(study: Study, case: str) -> dict:
    st, seeds = study.statistic, study.seeds
    tasks = [t for t in study.tasks if not st.tasks or t.label in st.tasks]
    table: dict = {}
    if st.kind in ("paired", "trend"):
        values = _oriented_values(study.rule, case, len(seeds))
        for s, v in zip(seeds, values, strict=True):
            for t in tasks:
                for a, b in zip(st.a, st.b, strict=True):
                    e = v / st.scale * (t.x if st.kind == "trend" else 1.0)
                    if st.transform == "reduction":  # (m_b - m_a) / m_b = e
                        table[(t.label, b, s)], table[(t.label, a, s)] = 0.2, 0.2 * (1 - e)
                    elif b:
                        table[(t.label, b, s)], table[(t.label, a, s)] = 0.5, 0.5 + e
                    else:
                        table[(t.label, a, s)] = e
        return table
    if st.kind == "fraction":
        for i, s in enumerate(seeds):
            for a in st.a:
                for t in tasks:
                    solved = {"supported": 1.0, "not supported": 0.0}.get(case, float(i % 2))
                    table[(t.label, a, s)] = solved
        return table
    rng = np.random.default_rng(0)
    if st.kind == "correlation":
        for s in seeds:
            x = rng.permutation(len(tasks)).astype(float)
            y = {"supported": x, "not supported": -x}.get(case, rng.permutation(len(tasks)).astype(float))
            if case == "inconclusive" and s % 2:
                y = -x
            elif case == "inconclusive":
                y = x
            for t, xi, yi in zip(tasks, x, y, strict=True):
                table[(t.label, st.a[0], s)], table[(t.label, st.a[0] + "|y", s)] = xi, yi
        return table
    # rank_stability: identical rankings (rho = 1), reversed every other task (rho < 0), or mixed per seed
    k = len(st.a)
    for s in seeds:
        for j, t in enumerate(tasks):
            flip = {"not supported": False, "supported": j % 2 == 1}.get(case, (j % 2 == 1) and s % 2 == 0)
            scores = np.arange(k, dtype=float)[::-1] if flip else np.arange(k, dtype=float)
            for m, v in zip(st.a, scores, strict=True):
                table[(t.label, m, s)] = v
    return table


_CASES = ("supported", "not supported", "inconclusive")


@pytest.mark.parametrize("name, case", [(n, c) for n in sorted(STUDIES) for c in _CASES])
def test_each_studys_rule_on_synthetic_effects(name, case):
    study = STUDIES[name]
    if study.statistic.kind == "rank_stability" and case == "inconclusive":
        study = Study(**{**study.__dict__, "seeds": (0, 1, 2, 3)})  # mixed seeds need n >= 4 to straddle
    eff = compute_effect(study, _synthetic_table(study, case), study.seeds)
    assert decide(eff.lo, eff.hi, study.rule) == case, (eff.value, eff.lo, eff.hi)


def test_missing_runs_drop_their_seed_and_say_so():
    study = STUDIES["nish_vs_mish"]
    table = _synthetic_table(study, "supported")
    del table[(study.tasks[0].label, "nish", study.seeds[0])]
    eff = compute_effect(study, table, study.seeds)
    assert eff.n == len(study.seeds) - 1 and any("left out" in n for n in eff.notes)


# ---------------------------------------------------------------------- datasets and protocols


def test_class_subset_and_balanced_subset():
    d = load_dataset("digits", split="train")
    hi = class_subset(d, (5, 6, 7, 8, 9), "hi")
    assert hi.num_classes == 5 and set(hi.y.tolist()) == {0, 1, 2, 3, 4}
    assert torch.equal(hi.x[hi.y == 0][0], d.x[d.y == 5][0])
    sub = balanced_subset(d, 7, seed=1, name="s")
    assert sub.y.bincount().tolist() == [7] * 10
    assert torch.equal(balanced_subset(d, 7, seed=1, name="s").x, sub.x)
    with pytest.raises(ValueError, match="fewer than n_per_class"):
        balanced_subset(d, 10_000, seed=0, name="s")


def test_regression_protocol_learns_and_is_seeded():
    from actlab.claims.protocols import make_config, train_cell

    raw = {"dataset": "jagtap_1d", "model": "mlp", "model_kwargs": {"depth": 2, "width": 16}, "act": "tanh",
           "steps": 60, "epochs": None, "lr": 1e-2, "seed": 3, "n_train": 50}
    cfg = make_config("regression")(raw)
    r1, r2 = train_cell(cfg), train_cell(cfg)
    curve = r1["protocol"]["curves"]["train_mse"]
    assert curve[-1] < curve[0] and r1["protocol"]["test_mse"] == r2["protocol"]["test_mse"]
    with pytest.raises(ValueError, match="unknown regression function"):
        train_cell(make_config("regression")({**raw, "dataset": "nope"}))


def test_transfer_protocol_reports_source_fixed_feature_and_finetune():
    from actlab.claims.protocols import make_config, train_cell

    raw = {"dataset": "m5k_0to4", "model": "mlp", "model_kwargs": {"depth": 1, "width": 16}, "act": "relu",
           "steps": 5, "epochs": None, "seed": 0, "target_epochs": 1, "finetune_act": "pvlu",
           "device": "cpu"}
    r = train_cell(make_config("transfer")(raw))
    assert 0.0 <= r["protocol"]["source_acc"] <= 1.0 and 0.0 <= r["protocol"]["fixed_feature_acc"] <= 1.0
    assert r["config"]["dataset"] == "m5k_5to9" and 0.0 <= r["test"]["acc"] <= 1.0
    with pytest.raises(ValueError, match="must be a bool"):
        make_config("transfer")({**raw, "fixed_features": "yes"})


def test_allcnn_maxpool_variant_replaces_the_strided_convs():
    from torch import nn

    from actlab.models import create_model

    strided = create_model("allcnn_c", num_classes=10, in_chans=1, width_mult=1 / 24)
    pooled = create_model("allcnn_c", num_classes=10, in_chans=1, width_mult=1 / 24, downsample="maxpool")
    assert any(isinstance(m, nn.Conv2d) and m.stride == (2, 2) for m in strided.modules())
    assert not any(isinstance(m, nn.Conv2d) and m.stride == (2, 2) for m in pooled.modules())
    assert sum(isinstance(m, nn.MaxPool2d) for m in pooled.modules()) == 2
    x = torch.randn(2, 1, 28, 28)
    assert strided(x).shape == pooled(x).shape == (2, 10)
    with pytest.raises(ValueError, match="downsample"):
        create_model("allcnn_c", downsample="avg")


# ------------------------------------------------------------------------ end to end and CLI


def _tiny_study(name: str = "tiny_xor") -> Study:
    return Study(
        name=name, paper=3, claim="c", paper_number="n", setup="s", proxy="p", original="o",
        statistic=Statistic("paired", a=("ada",), b=("relu",), scale=100.0), rule=Rule(unit="pp"), effect="e",
        tasks=(Task("xor", "xor", "single_neuron"),),
        methods=(Method("ada", "ada", {"alpha": 1.0}), Method("relu", "relu")),
        seeds=(0, 1, 2), recipe={"epochs": 30, "batch_size": 4, "lr": 0.1, "normalize": False, "device": "cpu"},
        quick_recipe={"epochs": 5},
    )


def test_tiny_study_end_to_end(tmp_path):
    db = tmp_path / "c.db"
    study = _tiny_study()
    run = run_claims([study], db, workers=1, progress=False)
    assert (run.total, run.ok, run.failed) == (6, 6, 0)
    again = run_claims([study], db, workers=1, progress=False)
    assert (again.skipped, again.ok) == (6, 0)  # resumed from the store
    md, page, results = write_claims_report(db, tmp_path / "rep", studies=[study])
    (res,) = results
    assert res.effect is not None and res.effect.n == 3 and res.verdict in ("supported", "not supported",
                                                                            "inconclusive")
    text = md.read_text()
    assert "tiny_xor" in text and "Rule (fixed before running)" in text and "commit" in text
    assert page.read_text().startswith("<!doctype html>") and (tmp_path / "rep" / "claims_overview.png").is_file()
    quick = write_claims_report(db, tmp_path / "rep_quick", quick=True, studies=[study])[2]
    assert quick[0].verdict == "not run"  # no quick runs were made: said, not hidden


def test_cli_list_run_report(tmp_path, monkeypatch, capsys):
    study = _tiny_study("tiny_cli")
    monkeypatch.setitem(STUDIES, "tiny_cli", study)
    assert main(["claims", "list"]) == 0
    assert "tiny_cli" in capsys.readouterr().out
    db, out = str(tmp_path / "c.db"), str(tmp_path / "rep")
    assert main(["claims", "run", "tiny_cli", "--quick", "--db", db, "--out", out, "--workers", "1", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "tiny_cli" in printed and "report:" in printed
    assert main(["claims", "report", "tiny_cli", "--quick", "--db", db, "--out", out]) == 0
    assert main(["claims", "run", "no_such_study", "--db", db]) == 2
    assert "unknown claims study" in capsys.readouterr().err
    assert main(["claims", "report", "--db", str(tmp_path / "missing.db")]) == 2


def test_mlp_widens_for_reducing_activations():
    from actlab.models import create_model

    for act in ("maxout", "xnor_ail", "and_ail"):
        net = create_model("mlp", num_classes=10, in_chans=64, act=act, depth=2, width=8)
        assert [b.fc.out_features for b in net.blocks] == [16, 16] and net.head.in_features == 8
        assert net(torch.randn(3, 64)).shape == (3, 10)
    dense = create_model("mlp", num_classes=10, in_chans=64, act="relu", depth=2, width=8)
    assert [b.fc.out_features for b in dense.blocks] == [8, 8]


def test_study_rejects_unknown_method_names():
    with pytest.raises(ValueError, match="statistic names method 'nope'"):
        Study(**{**_tiny_study().__dict__, "statistic": Statistic("paired", a=("ada",), b=("relu",),
                                                                  extra=(("ada", "nope"),))})
    with pytest.raises(ValueError, match=">= 3 seeds"):
        Study(**{**_tiny_study().__dict__, "seeds": (0, 1)})
