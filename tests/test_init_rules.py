"""AutoInit's per-layer rules (closed forms) and the traversal's behaviour on small graphs."""

from __future__ import annotations

import functools
import math

import pytest
import torch
from torch import nn

import actlab
from actlab.init import autoinit as _autoinit
from actlab.init import init_model, measure_init
from actlab.init import ops as O
from actlab.init import propagate as P
from actlab.init.propagate import Stat
from actlab.init.windows import conv_coverage, coverage_stats

# the rules themselves: the paper's analytic method (no calibration, no centring) and no fallback,
# so that a prediction is what each layer is drawn from and a missing rule raises
autoinit = functools.partial(_autoinit, calibrate=False, center=False, fallback=None)


def test_max_pool_exact_order_statistics():
    two = P.max_pool(Stat(0.0, 1.0), 4)
    three = P.max_pool(Stat(0.0, 1.0), 9)
    assert (two.mean, two.var) == pytest.approx((1.029375, 0.491715), abs=1e-5)
    assert (three.mean, three.var) == pytest.approx((1.485013, 0.357353), abs=1e-5)


def test_max_pool_through_monotone_and_non_monotone_activations_match_monte_carlo():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(400_000, 4, generator=g, dtype=torch.float64)
    for act in (nn.ReLU(), nn.GELU()):
        stat = P.activation(act, Stat(0.0, 1.0))
        pred = P.max_pool(stat, 4)
        y = act(z).amax(1)
        assert pred.mean == pytest.approx(float(y.mean()), abs=5e-3)
        assert pred.var == pytest.approx(float(y.var()), abs=5e-3)


RULES = [
    ("avg_pool 2x2", lambda: P.avg_pool(Stat(0.3, 1.0), 4), (0.3, 0.25)),
    ("add", lambda: P.add(Stat(0.5, 1.0), Stat(0.25, 2.0)), (0.75, 3.0)),
    ("sub", lambda: P.sub(Stat(0.5, 1.0), Stat(0.25, 2.0)), (0.25, 3.0)),
    ("mul", lambda: P.mul(Stat(1.0, 1.0), Stat(2.0, 3.0)), (2.0, 2.0 * 7.0 - 4.0)),
    ("concat", lambda: P.concat([Stat(0.0, 1.0), Stat(1.0, 1.0)], [1, 3]), (0.75, 1.0 + 0.75 - 0.5625)),
    ("dropout mu=0", lambda: P.dropout(Stat(0.0, 1.0), 0.5), (0.0, 2.0)),
    ("dropout exact", lambda: P.dropout(Stat(1.0, 1.0), 0.2), (1.0, 2.0 / 0.8 - 1.0)),
    ("scale", lambda: P.scale(Stat(1.0, 2.0), -3.0), (-3.0, 18.0)),
    ("zero pad half", lambda: P.zero_pad(Stat(1.0, 1.0), 0.5), (0.5, 1.0 - 0.25)),
]


@pytest.mark.parametrize("name,rule,expected", RULES, ids=[r[0] for r in RULES])
def test_rules_closed_form(name, rule, expected):
    s = rule()
    assert (s.mean, s.var) == pytest.approx(expected, abs=1e-12)


def test_dropout_rule_matches_sampling():
    x = 1.0 + torch.randn(1_000_000, dtype=torch.float64)
    y = nn.functional.dropout(x, 0.3, training=True)
    s = P.dropout(Stat(1.0, 1.0), 0.3)
    assert s.var == pytest.approx(float(y.var()), rel=1e-2)


@pytest.mark.parametrize(
    "norm", [nn.BatchNorm1d(64), nn.LayerNorm(64), nn.GroupNorm(4, 64)], ids=lambda m: type(m).__name__
)
def test_norm_layers_reset_to_standard(norm):
    s = O.module_rule(norm, Stat(3.0, 7.0), torch.zeros(2, 64), torch.zeros(2, 64))
    assert (s.mean, s.var) == (0.0, 1.0)


def test_batchnorm_resets_and_add_sums_in_a_graph():
    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.bn, self.act, self.b = nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 64)

        def forward(self, x):
            h = self.bn(self.a(x))
            return self.b(self.act(h + x))  # residual add: (0,1) + (0,1) -> (0, 2)

    m = Block()
    r = autoinit(m, input_shape=(64,), batch_size=512)
    b = r.layers[1]
    relu2 = actlab.init.activation_moments(nn.ReLU(), 0.0, 2.0)
    assert b.in_second == pytest.approx(relu2.second, rel=1e-9)
    assert b.weight_var == pytest.approx(1.0 / (64 * relu2.second))
    assert r.mode == "fx" and r.within(0.8, 1.25)


def test_depthwise_and_grouped_conv_fan_in_and_padding_coverage():
    m = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.Tanh(), nn.Conv2d(8, 16, 3, padding=1, groups=2))
    r = autoinit(m, input_shape=(8, 6, 6), batch_size=256, generator=torch.Generator().manual_seed(0))
    assert [x.fan_in for x in r.layers] == [9, 36]
    rho = conv_coverage(m[0], (1, 8, 6, 6))
    assert rho == pytest.approx((4 * 4 + 16 * 6 + 16 * 9) / (36 * 9))
    assert r.layers[0].weight_var == pytest.approx(1.0 / (9 * rho))
    assert r.within(0.7, 1.4)  # 72 depthwise weights: the sample variance of W itself varies ~17 %


def test_unsupported_module_raises_with_kinds_or_uses_lsuv():
    class Odd(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, dim=1)

    def make():
        return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), Odd(), nn.Linear(32, 8))

    with pytest.raises(ValueError, match="cumsum.*Supported: Linear"):
        autoinit(make(), input_shape=(16,))
    r = autoinit(make(), input_shape=(16,), fallback="lsuv", batch_size=256)
    assert r.methods() == {"0": "autoinit", "3": "lsuv"}
    assert r.layers[1].meas_var == pytest.approx(1.0, rel=0.15)  # fitted on the traversal batch, measured held out


def test_hook_mode_when_tracing_fails():
    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.act, self.b = nn.Linear(32, 64), nn.SELU(), nn.Linear(64, 64)

        def forward(self, x):
            h = self.act(self.a(x))
            if h.sum() > -1e9:  # data-dependent control flow: fx cannot trace this
                h = h + 0.0 * h
            return self.b(h)

    r = autoinit(Branchy(), input_shape=(32,), batch_size=256)
    assert r.mode == "hooks" and "torch.fx could not trace" in r.notes[0]
    assert r.methods() == {"a": "autoinit", "b": "autoinit-measured"}
    assert r.within(0.8, 1.25)


def test_bn_running_stats_and_modes_restored():
    m = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)).eval()
    autoinit(m, input_shape=(8,))
    assert not m.training and torch.equal(m[1].running_mean, torch.zeros(8)) and int(m[1].num_batches_tracked) == 0


def test_weights_come_from_generator_and_global_rng():
    def draw(**kw):
        m = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))
        autoinit(m, input_shape=(8,), **kw)
        return m[0].weight.detach().clone()

    assert torch.equal(
        draw(generator=torch.Generator().manual_seed(1)), draw(generator=torch.Generator().manual_seed(1))
    )
    torch.manual_seed(5)
    a = draw()
    b = draw()
    assert not torch.equal(a, b)  # seed= fixes the measurement batch, not the weights


@pytest.mark.parametrize("scheme,gain2", [("kaiming", 2.0), ("lecun", 1.0)])
def test_classic_schemes(scheme, gain2):
    m = nn.Sequential(nn.Linear(400, 300), nn.ReLU(), nn.Conv1d(4, 8, 5, groups=2))
    init_model(m, scheme, generator=torch.Generator().manual_seed(0))
    assert float(m[0].weight.detach().var()) * 400 == pytest.approx(gain2, rel=0.03)
    assert float(m[0].bias.detach().abs().max()) == 0.0


def test_init_model_default_and_errors():
    m = nn.Linear(4, 4)
    w = m.weight.detach().clone()
    assert init_model(m, "default") is None and torch.equal(w, m.weight)
    with pytest.raises(ValueError, match="did you mean 'kaiming'"):
        init_model(m, "kaimin")
    with pytest.raises(ValueError, match="input shape"):
        init_model(m, "autoinit")
    report = init_model(m, "autoinit", input_shape=(4,))
    assert report.layers[0].method == "autoinit-calibrated" and report.held_out  # the default
    with pytest.raises(ValueError, match="constant input"):  # an example batch is used as given
        init_model(m, "autoinit", torch.zeros(3, 4))


def test_measure_init_changes_nothing_and_report_renders(tmp_path):
    m = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    w = m[0].weight.detach().clone()
    rep = measure_init(m, input_shape=(8,))
    assert torch.equal(w, m[0].weight) and rep.mode == "measure" and len(rep.layers) == 2
    table = autoinit(m, input_shape=(8,)).to_table()
    assert "meas var" in table and "autoinit" in table
    path = tmp_path / "p.png"
    autoinit(m, input_shape=(8,)).plot(str(path), other=rep)
    assert path.stat().st_size > 1000


def test_channel_offsets_reach_pooling():
    # conv after ReLU: each output channel gets an offset mu * sum_j w_cj; global average pooling
    # keeps it, so the pooled variance is about Var(W) fan_in mu^2 (AutoInit's i.i.d. rule: v / k).
    m = nn.Sequential(
        nn.Conv2d(4, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 64)
    )
    r = autoinit(m, input_shape=(4, 12, 12), batch_size=256, generator=torch.Generator().manual_seed(0))
    relu = actlab.init.activation_moments(nn.ReLU())
    offsets = relu.mean**2 / relu.second  # share of the 1x1 conv's output variance that is per-channel
    assert r.layers[2].in_second == pytest.approx(offsets + (1 - offsets) / 100, rel=1e-6)
    assert r.within(0.5, 2.0)  # the i.i.d. rule would predict E[x^2] = 0.01 and give ~30x the target


def test_measured_stat_shared_part():
    from actlab.init.propagate import measured_stat as _measured

    x = torch.randn(512, 4, 8) + torch.tensor([0.0, 1.0, 2.0, 3.0]).view(1, 4, 1)
    s = _measured(x, False)
    assert s.shared == pytest.approx(1.25, rel=0.02) and s.var == pytest.approx(2.25, rel=0.02)


def test_center_option_zero_mean_rows_fixed_norm():
    m = nn.Sequential(nn.Linear(16, 32), nn.Sigmoid(), nn.Linear(32, 8))
    r = autoinit(m, input_shape=(16,), center=True)
    w = m[2].weight.detach().double()
    sig = actlab.init.activation_moments(nn.Sigmoid())
    assert float(w.sum(1).abs().max()) < 1e-6
    assert (w**2).sum(1) == pytest.approx(torch.full((8,), 1.0 / sig.var, dtype=torch.float64), rel=1e-5)
    assert r.within(0.7, 1.4)


def test_centred_conv_accounts_for_mean_leaking_at_padded_borders():
    # 3x3 conv, padding 1, on a 2x2 map: every window has 4 of 9 taps inside
    conv = nn.Conv2d(32, 32, 3, padding=1)
    assert coverage_stats(conv, (1, 32, 2, 2)) == pytest.approx((4 / 9, 20 / 81))
    assert coverage_stats(nn.Conv2d(4, 4, 3), (1, 4, 5, 5)) == (1.0, 0.0)
    m = nn.Sequential(nn.Conv2d(16, 32, 1), nn.Sigmoid(), conv)  # sigmoid: mean 0.5 >> sd 0.21
    r = autoinit(m, input_shape=(16, 2, 2), batch_size=1024, center=True, generator=torch.Generator().manual_seed(0))
    assert r.layers[1].meas_var == pytest.approx(1.0, rel=0.15)  # ~4x without the border term


def test_center_single_weight_unit_gets_fixed_magnitude():
    # Linear(1, 1) after ReLU: w mu is a constant offset of the one unit, so only Var(x) counts
    m = nn.Sequential(nn.Linear(16, 1), nn.ReLU(), nn.Linear(1, 1))
    mom = actlab.init.activation_moments(nn.ReLU())
    plain = autoinit(m, input_shape=(16,), batch_size=4096, calibrate=False, center=False)
    assert plain.layers[1].weight_var == pytest.approx(1.0 / mom.second, rel=1e-6)  # the paper's rule
    r = autoinit(m, input_shape=(16,), batch_size=4096, calibrate=False, center="auto")
    assert m[2].weight.detach().abs().item() == pytest.approx(math.sqrt(1.0 / mom.var), rel=1e-6)
    assert r.layers[1].meas_var == pytest.approx(1.0, rel=0.1)


def test_auto_centring_skips_inputs_whose_mean_dominates():
    # sigmoid's output (mean 0.5, var ~0.04: mean^2 > AUTO_CENTER_MAX var) keeps uncentred rows; relu's is centred
    from actlab.init.run import AUTO_CENTER_MAX

    for act, centred in ((nn.Sigmoid(), False), (nn.ReLU(), True)):
        mom = actlab.init.activation_moments(act)
        assert (mom.mean**2 > AUTO_CENTER_MAX * mom.var) is not centred
        m = nn.Sequential(nn.Linear(8, 16), act, nn.Linear(16, 16))
        autoinit(m, input_shape=(8,), center="auto", calibrate=False)
        w = m[2].weight.detach()
        assert (float((w.sum(1).abs() / w.norm(dim=1)).max()) < 1e-5) is centred


def test_calibrate_uses_real_input_moments():
    m = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    r = autoinit(m, input_shape=(16,), calibrate=True)
    assert set(r.methods().values()) == {"autoinit-calibrated"}
    second = r.layers[1].in_second  # measured on the batch, not the analytic 0.5
    assert second != pytest.approx(0.5, abs=1e-3) and r.layers[1].weight_var * 16 * second == pytest.approx(1.0)


def test_functional_ops_are_followed():
    class Fn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b, self.c = nn.Conv2d(3, 32, 3, padding=1), nn.Conv2d(3, 32, 1), nn.Linear(64, 64)

        def forward(self, x):
            h = torch.cat([nn.functional.relu(self.a(x)), torch.tanh(self.b(x)) * 2.0], dim=1)
            h = nn.functional.dropout(h, 0.25, training=True)
            return self.c(h.mean((2, 3)) + 1.0)

    r = autoinit(Fn(), input_shape=(3, 8, 8), batch_size=256, generator=torch.Generator().manual_seed(0))
    relu = actlab.init.activation_moments(nn.ReLU())
    tanh = actlab.init.activation_moments(nn.Tanh())
    cat_second = (relu.second + 4 * tanh.second) / 2
    cat_mean = relu.mean / 2
    assert r.mode == "fx" and [x.name for x in r.layers] == ["a", "b", "c"]
    # the concat's channel means differ (relu 0.40 vs tanh 0): that part survives the spatial mean
    shared = relu.mean**2 / 2 - cat_mean**2
    dropped = cat_second / 0.75 - cat_mean**2
    var = shared + (dropped - shared) / 64
    assert r.layers[2].in_second == pytest.approx(var + (cat_mean + 1.0) ** 2, rel=1e-6)
    assert r.within(0.6, 1.6)


@pytest.mark.parametrize("name,width_in", [("and_ail", 2), ("xnor_nail", 2), ("abrelu", 1)])
def test_reducing_and_batch_dependent_activations_in_a_network(name, width_in):
    act = actlab.create_activation(name)
    m = nn.Sequential(nn.Linear(16, 64 * width_in), act, nn.Linear(64, 64))
    r = autoinit(m, input_shape=(16,), batch_size=512, generator=torch.Generator().manual_seed(0))
    mom = actlab.init.activation_moments(act)  # seeded Monte Carlo, pooled over output channels
    assert r.layers[1].in_second == pytest.approx(mom.second, rel=1e-9)
    assert r.within(0.7, 1.4)


def test_cli_init_report(tmp_path, capsys):
    from actlab.cli.main import main

    plot = tmp_path / "v.png"
    assert main(["init-report", "mlp", "--act", "tanh", "--tiny", "--compare-default", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "AutoInit: mlp with tanh" in out and "PyTorch default init" in out and plot.exists()
    assert main(["init-report", "mlpp", "--act", "tanh"]) == 2


def test_scalar_first_operands():
    s = Stat(1.0, 2.0)
    x = torch.zeros(2, 2)
    from actlab.init.ops import function_rule

    out = function_rule("sub", (3.0, x), {}, (3.0, s), x, 0)  # 3 - x
    assert (out.mean, out.var) == (2.0, 2.0)
    out = function_rule("mul", (0.5, x), {}, (0.5, s), x, 0)
    assert (out.mean, out.var) == (0.5, 0.5)
