"""Surgery on the shapes of third-party models, with small stand-ins (no transformers/timm needed).

Classes named and placed like transformers' and timm's (``__module__`` set to theirs) check the
recognition by name; the others the in-place rewrite, gates, the channel axis and the census.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from actlab import swap_activations


def _like(module: str):
    def mark(cls):
        cls.__module__ = module
        return cls

    return mark


@_like("transformers.activations")
class NewGELUActivation(nn.Module):  # transformers' formula, written out in Python
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


@_like("transformers.activations")
class QuickGELUActivation(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


@_like("timm.layers.activations")
class HardSwish(nn.Module):
    def forward(self, x):
        return x * F.relu6(x + 3.0) / 6.0


@_like("timm.layers.norm_act")
class BatchNormAct2d(nn.BatchNorm2d):  # timm's norm + activation layer, branching on self.training
    def __init__(self, c: int) -> None:
        super().__init__(c)
        self.act = nn.ReLU()

    def forward(self, x):
        if self.training and x.sum() > 0:  # untraceable on purpose
            pass
        return self.act(super().forward(x))


class MLP(nn.Module):
    def __init__(self, act: nn.Module, d: int = 6) -> None:
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(d, 2 * d), act, nn.Linear(2 * d, d)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


@pytest.mark.parametrize("act", [NewGELUActivation(), QuickGELUActivation(), HardSwish()])
def test_ecosystem_classes_are_one_site_and_warm_start_exactly(act):
    model = nn.Sequential(MLP(act), MLP(type(act)()))
    x = torch.randn(3, 4, 6)
    before = model(x)
    report = swap_activations(model, "gpvlu", warm_start=True, example_input=x)
    assert [s.name for s in report.sites] == ["0.act", "1.act"]  # never the tanh/sigmoid inside
    assert report.left == [] and report.missed == []
    assert torch.equal(model(x), before) and report.output_diff == 0.0


def test_norm_act_layer_is_swapped_without_tracing():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), BatchNormAct2d(4), nn.Conv2d(4, 2, 1)).eval()
    x = torch.randn(2, 3, 8, 8)
    before = model(x)
    report = swap_activations(model, ("gpvlu", {"shape": "channel"}), warm_start=True, example_input=x)
    assert [s.name for s in report.sites] == ["1.act"] and report.sites[0].num_channels == 4
    assert report.sites[0].channel_dim == 1 and torch.equal(model(x), before)


class SE(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.fc, self.act, self.gate = nn.Conv2d(c, c, 1), nn.ReLU(), nn.Sigmoid()

    def forward(self, x):
        return x * self.gate(self.fc(self.act(x.mean((2, 3), keepdim=True))))


def test_gate_left_by_default_and_swapped_with_where_all():
    x = torch.randn(2, 3, 5, 5)
    report = swap_activations(SE(3), "gpvlu", example_input=x)
    assert [s.name for s in report.sites] == ["act"]
    assert [(s.name, s.reason.split(":")[0]) for s in report.left] == [("gate", "gate")]
    model = SE(3)
    report = swap_activations(model, "gpvlu", where="all", example_input=x)
    assert {s.name for s in report.sites} == {"act", "gate"} and report.left == []


class Reuse(nn.Module):
    """One module called twice, and a functional call, in the forward of a submodule."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.act = nn.Linear(4, 4), nn.Linear(4, 4), nn.Tanh()

    def forward(self, x):
        return F.silu(self.act(self.fc2(self.act(self.fc1(x)))))

    def extra_method(self) -> str:
        return "kept"


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = Reuse()
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.body(x))


def test_reuse_and_functional_rewrite_only_the_calling_module():
    model = Net()
    x = torch.randn(3, 4)
    before = model(x)
    report = swap_activations(model, "gpvlu", warm_start=True, example_input=x)
    assert sorted(s.name for s in report.sites) == ["body.act", "body.act[1]", "body.silu()"]
    assert type(model) is Net and type(model.body) is Reuse and model.body.extra_method() == "kept"
    assert "forward" not in vars(model) and "forward" in vars(model.body)  # only body's forward is rewritten
    assert torch.equal(model(x), before) and report.missed == []
    acts = [m for m in model.modules() if type(m).__name__ == "GPVLU"]
    assert len(acts) == 3 and len({id(a) for a in acts}) == 3


def test_rewritten_model_saves_loads_and_deep_copies(tmp_path):
    model = Net()
    x = torch.randn(3, 4)
    swap_activations(model, "gpvlu", example_input=x)
    torch.save(model, tmp_path / "net.pt")
    loaded = torch.load(tmp_path / "net.pt", weights_only=False)
    twin = copy.deepcopy(model)
    for other in (loaded, twin):
        assert type(other.body) is Reuse and torch.equal(other(x), model(x))
        assert other.body.forward.owner is other.body  # bound to its own copy, not to the original
    with torch.no_grad():
        twin.body.act.alpha.fill_(0.5)
    assert not torch.equal(twin(x), model(x))


class Tokens(nn.Module):
    """LeViT's shape: a BatchNorm1d over flattened tokens, then the activation on (B, N, C)."""

    def __init__(self, n: int = 5, c: int = 8) -> None:
        super().__init__()
        self.lin, self.bn, self.act, self.out = nn.Linear(c, c), nn.BatchNorm1d(c), nn.Hardswish(), nn.Linear(c, c)

    def forward(self, x):
        b, n, c = x.shape
        return self.out(self.act(self.bn(self.lin(x).flatten(0, 1)).reshape(b, n, c)))


def test_channel_axis_is_the_channel_one_never_the_tokens():
    model = Tokens().eval()
    x = torch.randn(2, 5, 8)
    report = swap_activations(model, ("gpvlu", {"shape": "channel"}), warm_start=True, example_input=x)
    site = report.sites[0]
    assert (site.num_channels, site.channel_dim) == (8, -1)
    assert model(x).shape == (2, 5, 8)
    model = Tokens().eval()
    report = swap_activations(model, ("gpvlu", {"shape": "channel"}), example_input=x, channel_dim=1)
    assert (report.sites[0].num_channels, report.sites[0].channel_dim) == (5, 1)  # overridden on purpose


class Cube(nn.Module):  # elementwise, parameter-free, unknown to actlab
    def forward(self, x):
        return x / (1 + x.abs() ** 3)


def test_unknown_activation_like_module_is_reported():
    model = nn.Sequential(nn.Linear(3, 4), Cube(), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 2))
    report = swap_activations(model, "gpvlu", example_input=torch.randn(2, 3))
    assert [s.name for s in report.sites] == ["2"]
    assert [(s.name, s.kind) for s in report.left] == [("1", "unknown")]


class Hidden(nn.Module):
    """Calls an activation through a function attribute: the static search cannot see it."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.fn = F.relu

    def forward(self, x):
        if x.sum() > 1e9:  # untraceable
            return x
        return self.fn(self.fn(self.fc(x)) - 1.0)


def test_untraceable_functional_calls_are_reported_with_the_census():
    with pytest.warns(UserWarning, match="untraceable"):
        report = swap_activations(Hidden(), "gpvlu", example_input=torch.randn(2, 3))
    assert len(report) == 0 and [s.name for s in report.left] == ["relu()", "relu()_1"]
    assert all(s.reason.startswith("untraceable") for s in report.left)
    assert report.missed == [] and "census: ran" in str(report)
