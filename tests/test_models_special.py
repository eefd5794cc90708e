"""Spiking ResNet and MoCapsNet against the closed forms of their papers' equations."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import actlab
from actlab.models import create_model, model_info
from actlab.models.mocapsnet import MomentumCapsBlock, RoutingCapsules, margin_loss, squash
from actlab.models.spiking_resnet import LIFConv, spike

LEAK = 0.8744


# ------------------------------------------------------------------------------ spiking resnet
@pytest.mark.parametrize(
    "m, s, grad",
    [(-2.0, 0.0, 0.0), (0.5, 1.0, 0.15), (3.0, 1.0, 0.0), (0.0, 0.0, 0.3), (-0.5, 0.0, 0.15), (1.0, 1.0, 0.0)],
)
def test_spike_and_triangular_surrogate(m, s, grad):
    x = torch.tensor(m, dtype=torch.float64, requires_grad=True)
    out = spike(x)
    out.backward()
    assert out.item() == s
    assert x.grad.item() == pytest.approx(grad, abs=1e-12)


def test_lif_membrane_reset_by_subtraction():
    """Constant input current 0.6: integrate with leak, fire above threshold 1, subtract 1."""
    lif = LIFConv(1, 1, 1, time_steps=6, norm=None, leak=LEAK, threshold=1.0, surrogate_scale=0.3).double()
    with torch.no_grad():
        lif.conv.weight.zero_()
        lif.conv.weight[0, 0, 1, 1] = 1.0  # the convolution passes its input through
    x = torch.full((1, 1, 3, 3), 0.6, dtype=torch.float64)
    u, spikes, mems = None, [], []
    for t in range(6):
        s, u = lif.step(x, u, t)
        spikes.append(s[0, 0, 1, 1].item())
        mems.append(u[0, 0, 1, 1].item())
    ref_u, ref_s, ref_m = 0.0, [], []
    for _ in range(6):
        ref_u = LEAK * ref_u + 0.6
        fired = ref_u / 1.0 - 1.0 > 0
        ref_u -= 1.0 * fired
        ref_s.append(float(fired))
        ref_m.append(ref_u)
    assert spikes == ref_s and 1.0 in spikes and 0.0 in spikes
    assert mems == pytest.approx(ref_m, abs=1e-12)


def _tiny_snn(**kw):
    info = model_info("spiking_resnet")
    model = create_model("spiking_resnet", num_classes=3, **{**info.test_kwargs, **kw})
    return model, torch.randn(2, *info.test_shape)


def test_snn_one_norm_per_time_step():
    model, x = _tiny_snn(time_steps=3)
    lifs = [m for m in model.modules() if isinstance(m, LIFConv)]
    assert len(lifs) == 6 * 1 + 1
    for lif in lifs:
        assert len(lif.bntt) == 3 and len({id(b) for b in lif.bntt}) == 3
        assert lif.bntt[0].eps == 1e-4 and lif.bntt[0].momentum == 0.1
    model.train()
    model(x)
    for lif in lifs:  # each step normalised its own batch once
        assert [int(b.num_batches_tracked) for b in lif.bntt] == [1, 1, 1]


def test_snn_readout_is_mean_voltage():
    model, x = _tiny_snn(time_steps=3)
    assert model.fc.bias is None
    steps = []
    model.fc.register_forward_hook(lambda m, i, o: steps.append(o))
    model.eval()
    with torch.no_grad():
        out = model(x)
    assert len(steps) == 3
    torch.testing.assert_close(out, torch.stack(steps).mean(0))


def test_snn_defaults_and_no_activation_site():
    info = model_info("spiking_resnet")
    assert info.has_activation is False and info.act_kwargs == ()
    model, _ = _tiny_snn()
    assert model.stem.leak == LEAK and model.stem.threshold == 1.0 and model.time_steps == 2
    with pytest.raises(ValueError, match="no activation site"):
        create_model("spiking_resnet", act="pvlu")


def test_snn_surrogate_gradient_reaches_first_layer():
    model, x = _tiny_snn()
    model(x).sum().backward()
    assert model.stem.conv.weight.grad.abs().sum() > 0


def test_snn_trains_on_a_fixed_batch():
    model, x = _tiny_snn()
    y = torch.tensor([0, 2])
    losses = []
    for _ in range(8):  # plain gradient descent (keeps torch.optim's import cost out of this file)
        loss = nn.functional.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# ------------------------------------------------------------------------------ mocapsnet
def test_squash_closed_form():
    s = torch.tensor([[3.0, 4.0], [0.0, 0.0], [1e3, 0.0]], dtype=torch.float64)
    v = squash(s)
    assert v.norm(dim=-1)[0].item() == pytest.approx(25 / 26)
    torch.testing.assert_close(v[0] / v[0].norm(), s[0] / 5)
    assert v[1].abs().sum() == 0 and v.norm(dim=-1).max() < 1


def test_margin_loss_closed_form():
    lengths = torch.tensor([[0.95, 0.3, 0.05], [0.2, 0.5, 0.8]])
    target = torch.tensor([0, 2])
    ref0 = 0.0 + 0.5 * (0.3 - 0.1) ** 2 + 0.0
    ref1 = 0.5 * (0.2 - 0.1) ** 2 + 0.5 * (0.5 - 0.1) ** 2 + (0.9 - 0.8) ** 2
    assert margin_loss(lengths, target).item() == pytest.approx(ref0 + ref1, rel=1e-6)
    assert margin_loss(lengths, target, reduction="mean").item() == pytest.approx((ref0 + ref1) / 2, rel=1e-6)
    recon, images = torch.ones(2, 1, 2, 2), torch.zeros(2, 1, 2, 2)
    total = margin_loss(lengths, target, reconstruction=recon, images=images)
    assert total.item() == pytest.approx(ref0 + ref1 + 5e-4 * 8, rel=1e-6)
    with pytest.raises(ValueError, match="both"):
        margin_loss(lengths, target, reconstruction=recon)


def test_primary_capsule_counts():
    assert create_model("mocapsnet").num_primary == 1152
    assert create_model("mocapsnet", in_chans=3, input_size=32).num_primary == 2048


class Double(nn.Module):
    def forward(self, x):
        return 2.0 * x


@pytest.mark.parametrize("mode, expected", [("momentum", 1.62), ("residual", 9.0), ("plain", 4.0)])
def test_residual_modes_closed_form(mode, expected):
    """f(x) = 2x, x0 = 1, gamma 0.9: v1 = 0.2, x1 = 1.2; v2 = 0.18 + 0.24, x2 = 1.62."""
    block = MomentumCapsBlock([Double(), Double()], gamma=0.9, mode=mode, memory_efficient=False)
    assert block(torch.ones(1)).item() == pytest.approx(expected)


def _caps_block(dtype=torch.float32, caps=6, dim=4):
    fs = [RoutingCapsules(caps, dim, caps, dim).to(dtype) for _ in range(2)]
    return MomentumCapsBlock(fs, gamma=0.9, memory_efficient=True)


def test_momentum_inverse_reconstructs_inputs():
    block = _caps_block()
    x = torch.randn(3, 6, 4)
    with torch.no_grad():
        xo, vo = block.forward_with_velocity(x)
    xi, vi = block.inverse(xo, vo)
    torch.testing.assert_close(xi, x, rtol=0, atol=1e-5)
    assert vi.abs().max() < 1e-5  # the velocity started at 0


def test_memory_efficient_backward_matches_autograd():
    # gradcheck on smooth functions (routing detaches its predictions, so finite differences of a
    # capsule layer disagree with its gradient by design); then capsule layers against plain autograd
    smooth = MomentumCapsBlock([nn.Sequential(nn.Linear(3, 3), nn.Tanh()).double() for _ in range(2)], gamma=0.8)
    xs = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert type(smooth(xs).grad_fn).__name__ == "_MomentumFunctionBackward"
    assert torch.autograd.gradcheck(lambda x, *p: smooth(x), (xs, *smooth.parameters()))
    block = _caps_block(torch.float64)
    x = torch.randn(2, 6, 4, dtype=torch.float64, requires_grad=True)
    plain = MomentumCapsBlock(list(block.functions), memory_efficient=False)
    g1 = torch.autograd.grad(block(x).pow(3).sum(), [x, *block.parameters()])
    g2 = torch.autograd.grad(plain(x).pow(3).sum(), [x, *plain.parameters()])
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b)


def test_routing_single_iteration_is_uniform_coupling():
    layer = RoutingCapsules(5, 3, 4, 2, iterations=1)
    x = torch.randn(2, 5, 3)
    u_hat = torch.einsum("jide,bie->bjid", layer.W[0], x)
    torch.testing.assert_close(layer(x), squash(u_hat.sum(2) / 4))
    assert RoutingCapsules(5, 3, 4, 2)(x).norm(dim=-1).max() < 1


def test_mocapsnet_lengths_and_reconstruction():
    kw = {**model_info("mocapsnet").test_kwargs, "decoder": True}
    model = create_model("mocapsnet", num_classes=3, **kw)
    x = torch.randn(2, 1, 20, 20)
    caps = model.capsules(x)
    assert caps.shape == (2, 3, 4)
    torch.testing.assert_close(model(x), caps.norm(dim=-1))
    recon = model.reconstruct(caps, torch.tensor([0, 2]))
    assert recon.shape == x.shape and recon.min() > 0 and recon.max() < 1
    assert [type(model.get_submodule(n)).__name__ for n in ("act1", "decoder.1", "decoder.3")] == ["ReLU"] * 3
    with pytest.raises(ValueError, match="decoder=True"):
        create_model("mocapsnet", num_classes=3, **model_info("mocapsnet").test_kwargs).reconstruct(caps)


def test_mocapsnet_swap_with_warm_start():
    model = create_model("mocapsnet", num_classes=3, **model_info("mocapsnet").test_kwargs).eval()
    x = torch.randn(2, 1, 20, 20)
    before = model(x)
    report = actlab.swap_activations(model, ("pvlu", {"shape": "channel"}), warm_start=True, functional=False)
    assert [(s.name, s.num_channels) for s in report.sites] == [("act1", 16)]
    assert torch.equal(model(x), before)
    assert math.isfinite(margin_loss(model(x), torch.tensor([0, 1])).item())


def _saved_bytes(model: nn.Module, x: torch.Tensor) -> int:
    """Bytes of distinct tensors autograd saves for backward during one forward pass."""
    from torch.autograd.graph import saved_tensors_hooks

    seen: set = set()

    def pack(t):
        seen.add((t.data_ptr(), t.numel() * t.element_size()))
        return t

    with saved_tensors_hooks(pack, lambda t: t):
        model(x)
    return sum(n for _, n in seen)


def test_momentum_blocks_store_no_activations():
    """Memory-efficient momentum blocks save only (x, v) per block; plain autograd saves every layer."""
    kw = model_info("mocapsnet").test_kwargs
    x = torch.randn(4, 1, 20, 20)
    saved = {
        (me, nb): _saved_bytes(
            create_model("mocapsnet", num_classes=3, **{**kw, "num_blocks": nb, "memory_efficient": me}), x
        )
        for me in (False, True)
        for nb in (1, 3)
    }
    per_block_plain = (saved[False, 3] - saved[False, 1]) / 2
    per_block_efficient = (saved[True, 3] - saved[True, 1]) / 2
    assert per_block_plain > 5 * per_block_efficient > 0


@pytest.mark.parametrize(
    "name, kw, count",
    [
        # convs 864 + 110,592 + 423,936 + 1,695,744, skips 10,240, readout 1,280; BNTT 2 x 2,912 channels x 50 steps
        ("spiking_resnet", {}, 2_242_656 + 291_200),
        # conv1 20,992; primary 5,308,672; caps1 2,359,296; 3 blocks x 2 x 65,536; class caps 40,960
        ("mocapsnet", {}, 8_123_136),
        ("mocapsnet", {"decoder": True}, 8_123_136 + 1_411_344),  # 160-512-1024-784 decoder
    ],
)
def test_pinned_parameter_counts(name, kw, count):
    assert sum(p.numel() for p in create_model(name, **kw).parameters()) == count


def test_memory_efficient_refuses_stateful_functions():
    with pytest.raises(ValueError, match="stateless"):
        MomentumCapsBlock([nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))])
    MomentumCapsBlock([nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))], memory_efficient=False)
