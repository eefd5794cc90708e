"""Layer Langevin: sigma = 0 is the base optimizer bit for bit; noise only on the first layers;
noise std sigma sqrt(eta P); schedules."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from actlab.train import (
    LangevinAdam,
    LangevinRMSprop,
    LangevinSGD,
    TrainConfig,
    langevin_layer_groups,
    langevin_sigma_at,
    make_optimizer,
    model_layers,
    schedule_factor,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 6), nn.BatchNorm1d(6), nn.Linear(6, 3))


def _train_pair(ref_fn, ours_fn, steps=15):
    torch.manual_seed(0)
    a = _net()
    b = copy.deepcopy(a)
    oa, ob = ref_fn(a.parameters()), ours_fn(b.parameters())
    for _ in range(steps):
        x = torch.randn(16, 5)
        for m, o in ((a, oa), (b, ob)):
            o.zero_grad()
            m(x).pow(2).mean().backward()
            o.step()
    return a, b


# (reference torch optimizer, ours with sigma = 0): the same hyper-parameters, lambda = eps
SIGMA0 = [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1), lambda p: LangevinSGD(p, lr=0.1, sigma=0.0)),
    (
        "sgd_nesterov_wd",
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda p: LangevinSGD(p, lr=0.1, sigma=0.0, momentum=0.9, nesterov=True, weight_decay=1e-3),
    ),
    ("adam", lambda p: torch.optim.Adam(p, lr=1e-2, eps=1e-6), lambda p: LangevinAdam(p, lr=1e-2, sigma=0.0)),
    (
        "adam_wd",
        lambda p: torch.optim.Adam(p, lr=1e-2, eps=1e-6, weight_decay=1e-2, foreach=False),
        lambda p: LangevinAdam(p, lr=1e-2, sigma=0.0, weight_decay=1e-2),
    ),
    (
        "rmsprop",
        lambda p: torch.optim.RMSprop(p, lr=1e-2, alpha=0.9, eps=1e-6),
        lambda p: LangevinRMSprop(p, lr=1e-2, sigma=0.0),
    ),
]


@pytest.mark.parametrize("name, ref, ours", SIGMA0, ids=[s[0] for s in SIGMA0])
def test_sigma_zero_is_base_optimizer_bit_for_bit(name, ref, ours):
    a, b = _train_pair(ref, ours)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb), name


def test_sigma_positive_differs():
    a, b = _train_pair(
        lambda p: torch.optim.Adam(p, lr=1e-2, eps=1e-6), lambda p: LangevinAdam(p, lr=1e-2, sigma=1e-3, seed=0)
    )
    assert not all(torch.equal(pa, pb) for pa, pb in zip(a.parameters(), b.parameters(), strict=True))


def test_layers_and_rho_selection():
    net = _net()
    names = [n for n, _ in model_layers(net)]
    assert names == ["0", "2", "3", "4"]  # Tanh owns no parameters
    noisy, plain = langevin_layer_groups(net, rho=0.5)  # floor(0.5 * 4) = 2 layers from the input
    assert [id(p) for p in noisy] == [id(p) for p in (*net[0].parameters(), *net[2].parameters())]
    assert len(plain) == 4
    assert langevin_layer_groups(net, 0.0)[0] == [] and len(langevin_layer_groups(net, 1.0)[1]) == 0
    with pytest.raises(ValueError, match="rho"):
        langevin_layer_groups(net, 1.5)


@pytest.mark.parametrize("opt_name", ["langevin_sgd", "langevin_adam", "langevin_rmsprop"])
def test_noise_only_on_first_layers(opt_name):
    """With zero gradients only the noisy layers move (for adam/rmsprop P = 1/lambda there)."""
    net = _net()
    cfg = TrainConfig(optimizer=opt_name, lr=1e-3, langevin_sigma=1e-2, langevin_rho=0.5, langevin_decay=False)
    opt = make_optimizer(net, cfg, steps_per_epoch=10, seed=0)
    before = copy.deepcopy(net)
    for p in net.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    moved = [not torch.equal(p, q) for p, q in zip(net.parameters(), before.parameters(), strict=True)]
    assert moved == [True, True, True, True, False, False, False, False]


@pytest.mark.parametrize(
    "cls, P",
    # zero gradient: P = 1/lambda, Adam 1/((1-b1) lambda) at t=1
    [(LangevinSGD, 1.0), (LangevinRMSprop, 1e6), (LangevinAdam, 1e7)],
)

def test_noise_std_is_sigma_sqrt_eta_p(cls, P):
    p = nn.Parameter(torch.zeros(200_000, dtype=torch.float64))
    lr, sigma = 1e-4, 1e-3
    opt = cls([p], lr=lr, sigma=sigma, seed=1)
    p.grad = torch.zeros_like(p)
    opt.step()
    expected = sigma * math.sqrt(lr * P)
    assert float(p.detach().std()) == pytest.approx(expected, rel=0.01)
    assert abs(float(p.detach().mean())) < 5 * expected / math.sqrt(p.numel())


def test_noise_is_seeded():
    def run(seed):
        p = nn.Parameter(torch.zeros(10))
        o = LangevinSGD([p], lr=0.1, sigma=0.1, seed=seed)
        p.grad = torch.zeros_like(p)
        o.step()
        return p.detach().clone()

    assert torch.equal(run(3), run(3)) and not torch.equal(run(3), run(4))


def test_schedules_paper_values():
    S = 50
    sig0 = 5e-3
    assert langevin_sigma_at(sig0, 0, 20 * S) == pytest.approx(sig0)
    assert langevin_sigma_at(sig0, 20 * S, 20 * S) == pytest.approx(sig0 / math.sqrt(math.log(math.e + 1)))
    assert langevin_sigma_at(sig0, 10**6, None) == sig0
    cfg = TrainConfig(schedule="inverse_time", decay_epochs=20.0)
    assert schedule_factor(cfg, 0, 10**5, S) == 1.0
    assert schedule_factor(cfg, 20 * S, 10**5, S) == pytest.approx(0.5)  # eta_0 / 2


def test_sigma_decays_inside_the_optimizer():
    p = nn.Parameter(torch.zeros(100_000, dtype=torch.float64))
    opt = LangevinSGD([p], lr=1.0, sigma=1.0, sigma_decay_steps=1.0, seed=0)
    opt.param_groups[0]["t"] = 10  # sigma_10 = 1 / sqrt(ln(e + 10))
    p.grad = torch.zeros_like(p)
    opt.step()
    assert float(p.detach().std()) == pytest.approx(1 / math.sqrt(math.log(math.e + 10)), rel=0.02)


def test_step_count_survives_state_dict():
    p = nn.Parameter(torch.zeros(3))
    opt = LangevinAdam([p], lr=0.1, sigma=0.1, sigma_decay_steps=5.0, seed=0)
    for _ in range(4):
        p.grad = torch.ones_like(p)
        opt.step()
    fresh = LangevinAdam([p], lr=0.1, sigma=0.1, sigma_decay_steps=5.0, seed=0)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[0]["t"] == 4 and fresh.state[p]["step"] == 4
