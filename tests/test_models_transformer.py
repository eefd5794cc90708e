"""The transformer family (gpt, vit) and its blocks: causal masking, attention against its closed form,
arity-sized MLPs for any reducing activation, matched parameter counts, tied heads, injected norms."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from actlab import activation_info, list_activations, per_layer
from actlab.activations import ActSite
from actlab.models import create_model, model_info
from actlab.models._common import ActSites
from actlab.models.blocks import GatedMLP, SelfAttention, act_arity, matched_hidden, norm_rows
from actlab.models.gpt import parameter_count

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = {"dim": 16, "depth": 2, "heads": 2, "context": 12}
# every registered activation that reduces two channels into one: the logical units today, the gated
# linear units (swiglu, geglu, "<act>-glu", ...) once they are registered
ARITY2 = [n for n in list_activations() if activation_info(n).arity == 2]


def _gpt(**kw) -> nn.Module:
    return create_model("gpt", in_chans=11, **{**TINY, **kw})


def test_gpt_is_causal_and_returns_per_position_logits():
    model = _gpt().eval()
    x = torch.randint(0, 11, (3, 10))
    y = x.clone()
    y[:, 6:] = (y[:, 6:] + 1) % 11  # change the future of position 5
    with torch.no_grad():
        a, b = model(x), model(y)
    assert a.shape == (3, 10, 11)
    torch.testing.assert_close(a[:, :6], b[:, :6], rtol=0, atol=0)
    assert not torch.allclose(a[:, 6:], b[:, 6:])


def test_vit_attends_to_every_patch():
    model = create_model("vit", num_classes=3, **model_info("vit").test_kwargs).eval()
    x = torch.randn(2, 1, 8, 8)
    y = x.clone()
    y[:, :, 4:, 4:] += 1.0  # the last patch only
    with torch.no_grad():
        assert not torch.allclose(model(x), model(y))
    mean = create_model("vit", num_classes=3, pool="mean", **model_info("vit").test_kwargs)
    assert mean.cls is None and mean.pos.shape == (1, 4, 8) and model.pos.shape == (1, 5, 8)


@pytest.mark.parametrize("causal", [True, False])
def test_attention_matches_its_closed_form(causal):
    torch.manual_seed(1)
    attn = SelfAttention(8, 2, causal).double()
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    q, k, v = attn.qkv(x).split(8, dim=-1)
    heads = lambda t: t.view(2, 5, 2, 4).transpose(1, 2)  # noqa: E731
    s = heads(q) @ heads(k).transpose(-1, -2) / math.sqrt(4)
    if causal:
        s = s.masked_fill(torch.ones(5, 5, dtype=torch.bool).triu(1), -math.inf)
    ref = attn.proj((s.softmax(-1) @ heads(v)).transpose(1, 2).reshape(2, 5, 8))
    torch.testing.assert_close(attn(x), ref)


def test_matched_hidden_is_shazeers_two_thirds():
    assert [matched_hidden(h, 2) for h in (3, 256, 3072, 11008 * 3 // 2)] == [2, 171, 2048, 11008]
    assert matched_hidden(512, 1) == 512 and matched_hidden(300, 3) == 150
    with pytest.raises(ValueError, match="hidden >= 1"):
        matched_hidden(0, 2)


def test_act_arity_reads_the_row():
    assert act_arity("relu") == 1 and act_arity(("and_ail", {})) == 2
    assert act_arity(activation_info("and_ail") and type(create_model("mlp", act="and_ail").blocks[0].act)) == 2
    assert act_arity(nn.GELU) == 1 and act_arity(lambda: nn.ReLU()) == 1


@pytest.mark.parametrize("name", ARITY2)
def test_arity2_activation_gets_a_double_projection_and_matched_count(name):
    dense, gated = _gpt(act="gelu"), _gpt(act=name)
    mlp = gated.blocks[0].mlp
    assert (mlp.arity, mlp.width) == (2, matched_hidden(64, 2)) == (2, 43)
    assert mlp.fc1.out_features == 2 * mlp.width and mlp.fc2.in_features == mlp.width
    assert gated.mlp_widths() == [43, 43] and dense.mlp_widths() == [64, 64]
    n_dense, n_gated = parameter_count(dense), parameter_count(gated)
    d, h, w = 16, 64, 43  # per block: (2 + 1) d w + 2 w + d against 2 d h + h + d parameters in the MLP
    assert n_gated - n_dense == 2 * ((3 * d * w + 2 * w) - (2 * d * h + h)) == 76
    assert abs(n_gated - n_dense) / n_dense < 0.015  # rounding 42.7 -> 43 and the biases, at this tiny width
    unmatched = _gpt(act=name, match_params=False)
    assert unmatched.mlp_widths() == [64, 64] and parameter_count(unmatched) > n_gated
    out = gated(torch.randint(0, 11, (2, 7)))
    assert out.shape == (2, 7, 11)
    out.sum().backward()
    assert mlp.fc1.weight.grad.abs().sum() > 0


def test_reducing_activation_groups_the_last_dim():
    """At (B, T, C) sites the logical units reduce pairs of channels, not pairs of positions."""
    mlp = GatedMLP(4, 6, 4, "and_ail", ActSites(channel_dim=-1), "mlp")
    assert mlp.act.channel_dim == -1
    h = torch.randn(2, 5, 2 * mlp.width)
    pairs = h.view(2, 5, mlp.width, 2)
    neg = pairs.clamp(max=0).sum(-1)
    torch.testing.assert_close(mlp.act(h), torch.where(neg < 0, neg, pairs.amin(-1)))


def test_per_layer_choice_is_made_once_per_site_and_sized_by_its_arity():
    seen: list[ActSite] = []

    def choose(site: ActSite):
        seen.append(site)
        return "and_ail" if site.index == 0 else "relu"

    model = _gpt(act=per_layer(choose))
    expected = [("blocks.0.mlp.act", 0, -1), ("blocks.1.mlp.act", 1, -1)]
    assert [(s.name, s.index, s.channel_dim) for s in seen] == expected
    assert model.mlp_widths() == [43, 64]
    assert model(torch.randint(0, 11, (2, 4))).shape == (2, 4, 11)


def test_per_channel_activation_gets_the_projection_width():
    model = _gpt(act=("pvlu", {"shape": "channel"}))
    assert model.blocks[1].mlp.act.value("alpha").shape == (64,)
    model(torch.randint(0, 11, (2, 4))).sum().backward()


def test_tied_head_shares_the_embedding():
    tied, untied = _gpt(tie_head=True), _gpt()
    assert tied.head.weight is tied.tok_emb.weight
    assert parameter_count(untied) - parameter_count(tied) == 11 * 16
    with pytest.raises(ValueError, match="tie_head=True .* num_classes"):
        _gpt(tie_head=True, num_classes=5)


def test_norm_sees_token_rows():
    model = _gpt(norm=nn.BatchNorm1d).train()
    assert not any(isinstance(m, nn.LayerNorm) for m in model.modules())
    assert model(torch.randint(0, 11, (2, 5))).shape == (2, 5, 11)
    ln = nn.LayerNorm(4)
    x = torch.randn(2, 3, 4)
    torch.testing.assert_close(norm_rows(ln, x), ln(x))


def test_errors_say_what_to_change():
    with pytest.raises(ValueError, match="13 tokens but the model's context is 12"):
        _gpt()(torch.randint(0, 11, (1, 13)))
    with pytest.raises(ValueError, match="divisible by heads"):
        _gpt(heads=3)
    with pytest.raises(ValueError, match="patch_size=3 must divide image_size=8"):
        create_model("vit", image_size=8, patch_size=3)
    with pytest.raises(ValueError, match="pool must be one of"):
        create_model("vit", pool="max")
    with pytest.raises(ValueError, match=r"input is \(28, 28\) but the model was built for image_size=8"):
        create_model("vit", image_size=8, dim=8, heads=2)(torch.randn(1, 1, 28, 28))


def test_token_models_default_to_their_own_vocabulary():
    info = model_info("gpt")
    assert info.tokens and not model_info("vit").tokens
    model = create_model("gpt")  # in_chans: the builder's 99, not input_shape[0] = 64
    assert model.tok_emb.num_embeddings == 99 and model.head.out_features == 99 and model.context == 64
    x = info.example_input(4, 11)
    assert x.dtype == torch.int64 and x.shape == (4, 6) and int(x.max()) < 11


@pytest.mark.parametrize("act", ["swiglu", "gelu", "rrelu-glu"])  # rrelu: random in training (RNG replayed)
def test_recomputed_mlp_gives_the_same_results_and_saves_only_its_input(act):
    from actlab.memory import saved_bytes

    torch.manual_seed(0)
    plain = GatedMLP(12, 32, 12, act, ActSites(channel_dim=-1), "mlp")
    again = GatedMLP(12, 32, 12, act, ActSites(channel_dim=-1), "mlp", recompute=True)
    again.load_state_dict(plain.state_dict())
    x = torch.randn(5, 7, 12)

    def step(mod):
        xg = x.clone().requires_grad_(True)
        torch.manual_seed(1)
        y = mod(xg)
        y.backward(torch.ones_like(y))
        return [y, xg.grad, *[p.grad for p in mod.parameters()]]

    for a, b in zip(step(plain), step(again), strict=True):
        assert torch.equal(a, b)
    params = list(plain.parameters()) + list(again.parameters())
    xs = x.clone().requires_grad_(True)
    hidden = xs.shape[0] * xs.shape[1] * again.width * 4  # fc2's input
    assert saved_bytes(lambda: again(xs), exclude=params) == xs.numel() * 4 + hidden
    # without recompute, fc1's output (arity x hidden) is kept too, besides what the activation keeps
    assert saved_bytes(lambda: plain(xs), exclude=params) >= xs.numel() * 4 + hidden + plain.arity * hidden
    assert "recompute=True" in repr(again)


def test_gpt_passes_recompute_to_every_mlp():
    m = create_model("gpt", num_classes=5, in_chans=5, dim=8, depth=2, heads=2, context=6, act="swiglu",
                     recompute_mlp=True)
    assert [b.mlp.recompute for b in m.blocks] == [True, True]
    idx = torch.randint(0, 5, (2, 6))
    m(idx).sum().backward()
    v = create_model("vit", image_size=8, patch_size=4, dim=8, depth=1, heads=2, recompute_mlp=True)
    assert all(b.mlp.recompute for b in v.blocks)
