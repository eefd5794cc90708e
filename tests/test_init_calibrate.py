"""AutoInit's closed-loop options: ``calibrate="moments"`` (expected scale from the real input
windows) and ``calibrate="output"`` (the drawn weights fitted on the traversal batch), and the
held-out measurement batch of the report."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from actlab.init import autoinit, measure_init
from actlab.init.windows import window_second
from actlab.models import create_model, model_info


def _unfolded_second(conv: nn.Conv2d, x: torch.Tensor, center: bool) -> float:
    """The same quantity from explicit im2col windows, one group at a time."""
    x = x.double()
    g, cin = conv.groups, x.shape[1] // conv.groups
    vals = []
    for k in range(g):
        cols = F.unfold(x[:, k * cin:(k + 1) * cin], conv.kernel_size, conv.dilation, conv.padding, conv.stride)
        w = cols.transpose(1, 2).reshape(-1, cols.shape[1])  # one row per window
        if center:
            vals.append(((w - w.mean(1, keepdim=True)) ** 2).sum(1) / (w.shape[1] - 1))
        else:
            vals.append((w**2).sum(1) / w.shape[1])
    return float(torch.cat(vals).mean())


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("groups,stride,padding,dilation", [(1, 1, 1, 1), (2, 2, 1, 1), (4, 1, 2, 2), (1, 2, 0, 1)])
def test_window_second_matches_explicit_windows(center, groups, stride, padding, dilation):
    g = torch.Generator().manual_seed(0)
    x = 0.7 + torch.randn(5, 8, 9, 9, generator=g).cumsum(-1) / 3  # non-zero mean, correlated taps
    conv = nn.Conv2d(8, 8, 3, stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert window_second(conv, x, center) == pytest.approx(_unfolded_second(conv, x, center), rel=1e-10)
    lin, h = nn.Linear(12, 3), x.reshape(-1, 12).double()
    expect = ((h - h.mean(1, keepdim=True)) ** 2).sum(1).mean() / 11 if center else (h**2).mean()
    assert window_second(lin, h, center) == pytest.approx(float(expect), rel=1e-10)


class CommonMode(nn.Module):
    """64 features sharing one per-sample value ``h`` plus a small independent part."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.c, self.b = nn.Linear(16, 1), nn.Linear(16, 64), nn.Linear(64, 8)

    def forward(self, x):
        z = torch.cat([self.a(x)] * 64, dim=1) + 0.1 * torch.tanh(self.c(x))
        return self.b(z)


def test_calibrated_centred_rows_see_what_a_window_shares():
    # centred rows cancel the common h: only the 0.1 tanh part reaches b. The pooled variance of
    # z (~1) would scale b ~100x too small; the window rule sees E||z - mean(z)||^2 / 63 instead.
    r = autoinit(CommonMode(), input_shape=(16,), batch_size=1024, center=True, calibrate=True,
                 generator=torch.Generator().manual_seed(0))  # fmt: skip
    b = r.layers[-1]
    assert b.name == "b" and b.method == "autoinit-calibrated"
    assert 0.7 <= b.meas_var <= 1.4, r.to_table()
    assert b.in_second > 0.5  # the recorded pooled E[x^2] of z is dominated by h


def test_calibrate_moments_is_an_expectation_over_draws():
    # a narrow layer after sigmoid: single draws scatter, their mean sits on the target
    def draw(s):
        m = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Sigmoid(), nn.Conv2d(4, 4, 3, padding=1))
        r = autoinit(m, input_shape=(3, 8, 8), batch_size=256, center=True, calibrate="moments",
                     generator=torch.Generator().manual_seed(s))  # fmt: skip
        return r.layers[1].meas_var

    q = torch.tensor([draw(s) for s in range(40)])
    assert float(q.mean()) == pytest.approx(1.0, abs=0.1)
    assert float(q.std()) > 0.05  # nothing fits the draw: it stays random


def test_calibrate_output_is_exact_on_the_traversal_batch_and_holds_out():
    info = model_info("resnet20")  # registered test widths: 4 channels in the first stage
    torch.manual_seed(0)
    model = create_model("resnet20", act=("sigmoid", {"impl": "eager"}), in_chans=3, **info.test_kwargs)
    r = autoinit(model, input_shape=info.test_shape, batch_size=64, center="auto", calibrate="output",
                 generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert set(r.methods().values()) == {"autoinit-fit"} and r.seed == 1  # measured on the held-out batch
    assert r.within(0.5, 2.0), r.to_table()
    on_traversal = measure_init(model, input_shape=info.test_shape, batch_size=64, seed=0)
    assert on_traversal.ratios() == pytest.approx([1.0] * len(r.layers), rel=1e-5)
    assert r.ratios() != pytest.approx(on_traversal.ratios(), rel=1e-3)  # a different batch


def test_calibrate_rejects_unknown_modes():
    with pytest.raises(ValueError, match="calibrate must be"):
        autoinit(nn.Linear(4, 4), input_shape=(4,), calibrate="exact")


def test_autoinit_fit_scheme_training_choice_and_cli(capsys):
    from actlab.cli.main import main
    from actlab.init import init_model
    from actlab.train import TrainConfig

    m = nn.Sequential(nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 4))
    r = init_model(m, "autoinit-fit", input_shape=(8,), generator=torch.Generator().manual_seed(0))
    assert set(r.methods().values()) == {"autoinit-fit"}
    w = m[2].weight.detach()
    assert float((w.sum(1).abs() / w.norm(dim=1)).max()) < 1e-6  # centred rows (float32): no BatchNorm follows
    assert TrainConfig(init="autoinit-fit").init == "autoinit-fit"
    with pytest.raises(ValueError, match="autoinit"):
        TrainConfig(init="autoinit_fitted")
    assert (
        main(["init-report", "mobilenet", "--act", "relu", "--tiny", "--center", "auto", "--calibrate", "output"]) == 0
    )
    out = capsys.readouterr().out
    assert "autoinit-fit" in out and "held-out N(0, 1) batch of 64, seed 1" in out
