"""Layer-wise reinitialization invariants (Alabdulmohsin et al., arXiv 2109.00267)."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from actlab.train import LayerwiseReinit

pytestmark = pytest.mark.usefixtures("one_thread")


def _net() -> nn.Module:
    return nn.Sequential(
        nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.Linear(8, 3)
    )  # L = 5 layers with parameters


def _perturb(net: nn.Module) -> None:
    """Stand-in for training: scale and shift every parameter."""
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(3.0).add_(0.5)


@pytest.mark.parametrize("G, g, boundary", [(5, 1, 1), (5, 3, 3), (3, 1, 1), (3, 2, 3), (2, 1, 2), (6, 5, 4)])
def test_generation_invariants(G, g, boundary):
    net = _net()
    lw = LayerwiseReinit(net, generations=G)
    assert lw.boundary(g) == boundary  # floor(g L / G), L = 5
    init_norms = {n: float(p.detach().norm()) for n, p in net.named_parameters()}
    _perturb(net)
    trained = copy.deepcopy(net)
    rep = lw.apply(g, seed=7)
    names = [n for n, _ in lw.layers]
    assert rep.reinitialized == tuple(names[boundary:]) and rep.rescaled == tuple(names[:boundary])
    # fresh values above the boundary: exactly what reset_parameters gives under the same seed
    ref = copy.deepcopy(trained)
    with torch.random.fork_rng():
        torch.manual_seed(7)
        for _, m in LayerwiseReinit(ref, G).layers[boundary:]:
            m.reset_parameters()
    for (name, m), (_, r), (_, t) in zip(
        lw.layers, LayerwiseReinit(ref, G).layers, LayerwiseReinit(trained, G).layers, strict=True
    ):
        i = names.index(name)
        for (pn, p), (_, pr), (_, pt) in zip(
            m.named_parameters(), r.named_parameters(), t.named_parameters(), strict=True
        ):
            if i >= boundary:
                assert torch.equal(p, pr)
                assert not torch.equal(p, pt)
            else:  # below: trained direction, initial norm
                full = f"{name}.{pn}"
                if init_norms[full] < 1e-12:
                    assert float(p.detach().abs().max()) == 0.0
                else:
                    assert float(p.detach().norm()) == pytest.approx(init_norms[full], rel=1e-5)
                    assert float(
                        torch.nn.functional.cosine_similarity(p.detach().flatten(), pt.detach().flatten(), dim=0)
                    ) == pytest.approx(1.0, abs=1e-6)


def test_generation_zero_changes_nothing_and_bn_stats_reset():
    net = _net()
    lw = LayerwiseReinit(net, generations=5)
    _perturb(net)
    net.train()
    net(torch.randn(16, 4))  # moves BN running stats
    before = copy.deepcopy(net.state_dict())
    lw.apply(0, seed=0)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    lw.apply(1, seed=0)  # BN (layer 1) is above the boundary: its running stats are reset
    assert torch.equal(net[1].running_mean, torch.zeros(8))


def test_activation_parameters_restored_without_reset_parameters():
    from actlab import create_activation

    net = nn.Sequential(nn.Linear(2, 3), create_activation("pvlu"), nn.Linear(3, 2))
    lw = LayerwiseReinit(net, generations=2)
    init = {k: v.clone() for k, v in net[1].state_dict().items()}
    assert init, "pvlu should have trainable parameters"
    _perturb(net)
    lw.apply(1, seed=0)  # boundary floor(1 * 3 / 2) = 1: pvlu and the head are re-initialized
    assert all(torch.equal(v, init[k]) for k, v in net[1].state_dict().items())


def test_errors():
    with pytest.raises(ValueError, match="generations"):
        LayerwiseReinit(_net(), generations=7)  # L + 1 = 6 at most
    with pytest.raises(ValueError, match="no layers"):
        LayerwiseReinit(nn.ReLU(), generations=1)
    with pytest.raises(ValueError, match="generation must be"):
        LayerwiseReinit(_net(), generations=2).apply(2, seed=0)
