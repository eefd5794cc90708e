"""AutoInit on the shapes of the models people bring, built small: token inputs, attention,
class tokens, stochastic depth, third-party norms and activations, mode-dependent caches, and
failures that must leave the model as it was."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from actlab.init import AutoInitFallbackWarning, autoinit, measure_init
from actlab.init import ops as O
from actlab.init import propagate as P
from actlab.init.batch import batch_generator
from actlab.init.propagate import Stat


def _gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads, self.qkv, self.proj = heads, nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, causal: bool = False) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return self.proj(o.transpose(1, 2).reshape(b, t, d))


class ExplicitAttention(Attention):
    """LeViT's form: ``softmax(q @ k^T * scale) @ v`` written out."""

    def forward(self, x: torch.Tensor, causal: bool = False) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        attn = (q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5).softmax(dim=-1)
        return self.proj(torch.bmm(attn.flatten(0, 1), v.flatten(0, 1)).reshape(b, self.heads, t, -1)
                         .transpose(1, 2).reshape(b, t, d))  # fmt: skip


class DropPath(nn.Module):
    """timm's form: identity outside training."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = x.new_empty(x.shape[0], *([1] * (x.dim() - 1))).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class RMSNorm(nn.Module):
    """A third-party RMSNorm (not ``nn.RMSNorm``): recognised by its class name."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)


class Block(nn.Module):
    def __init__(self, dim: int, attn: type[Attention], norm: type[nn.Module], drop: float, act: nn.Module) -> None:
        super().__init__()
        self.n1, self.attn, self.n2 = norm(dim), attn(dim, 2), norm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), act, nn.Linear(4 * dim, dim))
        self.drop = DropPath(drop)

    def forward(self, x: torch.Tensor, causal: bool = False) -> torch.Tensor:
        x = x + self.drop(self.attn(self.n1(x), causal))
        return x + self.drop(self.mlp(self.n2(x)))


class TokenLM(nn.Module):
    """Embedding + positional embedding + causal attention blocks (GPT-2/Llama shape)."""

    def __init__(self, vocab: int = 50, dim: int = 32, norm: type[nn.Module] = nn.LayerNorm, act=None) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, dim), nn.Embedding(16, dim)
        self.blocks = nn.ModuleList(Block(dim, Attention, norm, 0.1, act or nn.GELU()) for _ in range(2))
        self.head = nn.Linear(dim, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.tok(ids) + self.pos(torch.arange(ids.shape[1], device=ids.device))
        for b in self.blocks:
            x = b(x, causal=True)
        return self.head(x)


class TinyViT(nn.Module):
    """Patches, a class token concatenated in front, positional parameter, DropPath, ``x[:, 0]``."""

    def __init__(self, dim: int = 32, attn: type[Attention] = Attention) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, dim, 4, stride=4)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(0.02 * torch.randn(1, 17, dim))
        self.blocks = nn.Sequential(*[Block(dim, attn, nn.LayerNorm, 0.2, nn.GELU()) for _ in range(2)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        return self.head(self.norm(self.blocks(x))[:, 0])


# ------------------------------------------------------------------------------ integer inputs
def test_token_model_from_input_dtype_and_as_given():
    torch.manual_seed(0)
    model = TokenLM()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ruled on throughout: no fallback warning
        r = autoinit(model, input_shape=(12,), input_dtype=torch.long, batch_size=32, generator=_gen())
    assert r.mode == "fx" and not r.unruled and r.vocab == 50 and r.held_out
    assert len(r.layers) == 9 and r.within(0.5, 2.0), r.to_table()
    assert "token ids in [0, 50)" in r.to_table()
    ids = torch.randint(0, 50, (16, 12), generator=_gen())
    given = autoinit(model, example_input=ids, generator=_gen())
    assert not given.held_out and given.batch_size == 16 and given.within(0.5, 2.0), given.to_table()
    assert "on the example input" in given.to_table()


def test_float_batch_into_an_embedding_is_a_clear_error():
    torch.manual_seed(0)
    model = TokenLM()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"embedding 'tok'.*input_dtype=torch.long"):
        autoinit(model, input_shape=(12,))
    with pytest.raises(ValueError, match="input_dtype=torch.long"):
        measure_init(model, input_shape=(12,))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    with pytest.raises(ValueError, match="no nn.Embedding"):
        autoinit(nn.Linear(4, 4), input_shape=(4,), input_dtype=torch.long)
    with pytest.raises(ValueError, match="dtype"):
        autoinit(model, example_input=torch.zeros(2, 12, dtype=torch.long), input_dtype=torch.int32)


def test_float_example_input_is_used_as_given():
    m = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 8))
    x = 3.0 + 2.0 * torch.randn(256, 8, generator=_gen())
    r = autoinit(m, example_input=x, generator=_gen())
    assert (r.input_mean, r.input_var) == pytest.approx((float(x.mean()), float(x.var(unbiased=False))))
    assert r.layers[0].meas_var == pytest.approx(1.0, rel=0.15)  # scaled for the real input, not N(0, 1)


def test_batch_stream_never_equals_a_generator_seeded_alike():
    # seed 0 for the batch and manual_seed(0) for the weights must not draw the same numbers
    a = torch.randn(64, generator=batch_generator(0))
    assert not torch.allclose(a, torch.randn(64, generator=torch.Generator().manual_seed(0)))
    assert torch.equal(a, torch.randn(64, generator=batch_generator(0)))


# ------------------------------------------------------------------------------ attention and friends
@pytest.mark.parametrize("attn", [Attention, ExplicitAttention], ids=["sdpa", "matmul-softmax-bmm"])
def test_class_token_vit_with_droppath_is_ruled_on(attn):
    torch.manual_seed(0)
    model = TinyViT(attn=attn)
    r = autoinit(model, input_shape=(3, 16, 16), batch_size=64, fallback=None, generator=_gen())
    assert r.mode == "fx" and not r.unruled and r.within(0.5, 2.0), r.to_table()
    assert set(r.methods().values()) == {"autoinit-calibrated"} and len(r.layers) == 10


def test_attention_written_out_predicts_like_sdpa():
    # the analytic rules (no calibration): matmul -> softmax -> bmm gives sdpa's prediction
    preds = []
    for attn in (Attention, ExplicitAttention):
        torch.manual_seed(0)
        r = autoinit(TinyViT(attn=attn), input_shape=(3, 16, 16), batch_size=64, fallback=None,
                     calibrate=False, center=False, generator=_gen())  # fmt: skip
        assert set(r.methods().values()) == {"autoinit"} and not r.unruled
        preds.append([x.in_second for x in r.layers])
        # the rules assume independent tokens; attention over correlated tokens averages less away
        assert all(0.5 <= q <= 4.0 for q in r.ratios()), r.to_table()
    assert preds[0] == pytest.approx(preds[1], rel=1e-3)


def test_rms_norm_and_third_party_elementwise_activation():
    class HFGelu(nn.Module):  # like transformers' GELUActivation: not in the torch table
        def forward(self, x):
            return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))

    assert O.is_elementwise(HFGelu()) and not O.is_elementwise(nn.Softmax(dim=-1))
    torch.manual_seed(0)
    model = TokenLM(norm=RMSNorm, act=HFGelu())
    r = autoinit(model, input_shape=(12,), input_dtype=torch.long, batch_size=32, fallback=None, generator=_gen())
    assert not r.unruled and r.within(0.5, 2.0), r.to_table()
    gelu = P.activation(nn.GELU(), Stat(0.0, 1.0))
    hf = O.module_rule(HFGelu(), Stat(0.0, 1.0), torch.zeros(2, 3), torch.zeros(2, 3))
    assert hf is not None and (hf.mean, hf.var) == pytest.approx((gelu.mean, gelu.var), rel=1e-9)


def test_attention_rules_closed_forms():
    # uniform attention (q = 0) over n keys: E[sum_j P_ij^2] = 1/n, the output variance v / n
    q, k = torch.zeros(2, 3, 5, 4), torch.randn(2, 3, 5, 4)
    assert P.attention_weights(q, k) == pytest.approx(1 / 5)
    assert P.attention_weights(q, k, causal=True) == pytest.approx(sum(1 / i for i in range(1, 6)) / 5)
    assert P.attention(Stat(0.5, 2.0), 0.2) == Stat(0.5, 0.4)
    # softmax: the moments of the real probabilities (mean exactly 1/n)
    logits = torch.randn(3, 8)
    s = O.function_rule("softmax", (logits, -1), {}, (Stat(0.0, 1.0), None), logits.softmax(-1), 0)
    assert s.mean == pytest.approx(1 / 8) and s.second == pytest.approx(float((logits.softmax(-1) ** 2).mean()))
    m = P.matmul(Stat(1.0, 1.0), Stat(2.0, 3.0), 4)  # sum of 4 independent products
    assert (m.mean, m.var) == pytest.approx((8.0, 4 * (2.0 * 7.0 - 4.0)))
    r = P.rms_norm(Stat(1.0, 3.0), torch.full((4,), 2.0))
    assert (r.mean, r.var + r.mean**2) == pytest.approx((1.0, 4.0))
    t = P.table(torch.arange(4.0))
    assert (t.mean, t.var) == pytest.approx((1.5, 1.25))


def test_every_op_rule_is_a_table_row():
    assert callable(O.OP_RULES["scaled_dot_product_attention"]) and "getitem" in O.OP_RULES
    for name in ("matmul", "bmm", "softmax", "cat", "layer_norm", "rms_norm", "embedding", "stochastic_depth"):
        assert name in O.OP_RULES and name in O.SUPPORTED_KINDS
    x = torch.randn(4, 6)
    assert O.function_rule("stochastic_depth", (x, 0.5, "row", True), {}, (Stat(0.0, 1.0),), x, 0) is None
    assert O.function_rule("stochastic_depth", (x, 0.5, "row", False), {}, (Stat(0.0, 1.0),), x, 0) == Stat(0.0, 1.0)


# ------------------------------------------------------------------------------ state and fallback
class CachedBias(nn.Module):
    """LeViT's pattern: eval mode caches a tensor built from a parameter; ``train()`` drops it."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(dim))
        self.cache: dict[str, torch.Tensor] = {}

    def train(self, mode: bool = True) -> CachedBias:
        super().train(mode)
        if mode:
            self.cache = {}
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return x + self.bias * 1.0
        if "b" not in self.cache:
            self.cache["b"] = self.bias * 1.0
        return x + self.cache["b"]


class Cumsum(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, dim=1) / x.shape[1] ** 0.5


def test_failed_call_leaves_the_model_unchanged_and_a_retry_works():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), CachedBias(16), nn.ReLU(), Cumsum(), nn.Linear(16, 4))
    model[1].train()  # a mixed state: root in eval, one child training
    model.eval()[2].train()
    modes = [m.training for m in model.modules()]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match="no rule for operation 'cumsum'"):
        autoinit(model, input_shape=(8,), fallback=None)
    assert [m.training for m in model.modules()] == modes
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert model(torch.randn(2, 8)).shape == (2, 4)  # no traced value left in the cache
    with pytest.warns(AutoInitFallbackWarning, match="cumsum"):
        r = autoinit(model, input_shape=(8,), generator=_gen())  # the retry, default fallback
    assert r.methods() == {"0": "autoinit-calibrated", "4": "lsuv"} and r.unruled and r.within(0.5, 2.0)
    assert "operation 'cumsum'" in r.unruled[0] and [m.training for m in model.modules()] == modes
    assert model(torch.randn(2, 8)).shape == (2, 4)


def test_train_eval_state_restored_through_train_calls():
    calls: list[bool] = []

    class Spy(nn.Identity):
        def train(self, mode: bool = True) -> Spy:
            calls.append(mode)
            return super().train(mode)

    model = nn.Sequential(nn.Linear(4, 4), Spy(), nn.Linear(4, 4)).eval()
    autoinit(model, input_shape=(4,))
    assert calls and calls[-1] is False and not model.training and not model[1].training


class MHABlock(nn.Module):
    """torchvision ViT's form: ``nn.MultiheadAttention`` (projections inside its forward)."""

    def __init__(self, dim: int = 32, kdim: int | None = None) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, 4, batch_first=True, kdim=kdim, vdim=kdim)
        self.kv = nn.Linear(dim, kdim or dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(x)
        kv = self.kv(h)
        y, _ = self.attn(h, kv, kv, need_weights=False)
        return self.head(x + y)


@pytest.mark.parametrize("kdim", [None, 16], ids=["packed", "separate-kv"])
def test_multihead_attention_projections_are_weighted_layers(kdim):
    torch.manual_seed(0)
    model = MHABlock(kdim=kdim)
    r = autoinit(model, input_shape=(9, 32), batch_size=64, fallback=None, generator=_gen())
    names = [x.name for x in r.layers]
    assert names == ["kv", "attn.in_proj[q]", "attn.in_proj[k]", "attn.in_proj[v]", "attn.out_proj", "head"]
    assert not r.unruled and not r.not_initialized and r.within(0.5, 2.0), r.to_table()
    assert not any("attn.in_proj" in n for n in r.notes)  # its parameters are accounted for
    assert float(model.attn.in_proj_bias.detach().abs().max()) == 0.0
    assert model(torch.randn(2, 9, 32)).shape == (2, 9, 10)
