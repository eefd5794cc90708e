"""The execution census: which activations a forward pass runs, where, on what shapes, used how.

One forward pass in eval mode under ``no_grad`` with forward hooks on every module (the call
stack) and a ``TorchFunctionMode`` that sees every torch function and tensor method call. It
records each call of an activation module (its caller and input shape), each functional
activation call (``F.gelu``, ``x.relu()``: the module whose own ``forward`` makes it), each
softmax, and whether the output of a sigmoid-like activation multiplies another tensor (a gate,
as in squeeze-excitation). Calls made inside an activation module are not counted: a
``NewGELUActivation`` is one site, not the ``torch.tanh`` inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from ..activations.torch_table import TORCH_CALLS, TorchCall, module_for_call
from ._sites import base_name, is_activation_module

__all__ = ["Census", "Call", "run_census", "census_on", "input_candidates", "GATE_BASES", "activation_like"]

#: sigmoid-like functions: where their output multiplies a tensor, the site is a gate
GATE_BASES = ("sigmoid", "hardsigmoid")

_CALL_ROWS: dict[Any, TorchCall] = {row.fn: row for row in TORCH_CALLS}
_T, _F = torch.Tensor, torch.nn.functional
_VIEWS = {_T.view, _T.reshape, _T.expand, _T.expand_as, _T.unsqueeze, _T.squeeze, _T.flatten, _T.permute,
          _T.transpose, _T.contiguous, _T.__getitem__, _T.to, torch.reshape, torch.flatten, torch.unsqueeze,
          torch.squeeze, torch.permute, torch.transpose}
_MULS = {torch.mul, _T.mul, _T.mul_, _T.__mul__, _T.__rmul__, _T.__imul__}
_SOFTMAX = {_F.softmax, torch.softmax, _T.softmax, _F.log_softmax, torch.log_softmax, _T.log_softmax}


@dataclass
class Call:
    """One executed activation: a module call or a functional call."""

    caller: str  # path of the module whose forward made the call ("" for the model itself)
    kind: str  # "module", "function", "method" or "softmax"
    path: str  # the module's path (module calls) or the call's torch path ("torch.nn.functional.gelu")
    index: int  # k-th call of this path from this caller
    shape: tuple[int, ...] | None
    base: str | None  # registry name of the function it computes
    gate: bool = False
    module_id: int | None = None  # id of the module (module calls)


@dataclass
class Census:
    calls: list[Call] = field(default_factory=list)
    output: Any = None
    error: str | None = None

    def module_calls(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.kind == "module" and c.path == path]


class _Recorder(TorchFunctionMode):
    def __init__(self, census: Census, stack: list[str], inside: Callable[[], bool]) -> None:
        super().__init__()
        self.census, self.stack, self.inside = census, stack, inside
        self.marks: dict[int, Call] = {}  # id of a sigmoid-like output (or a view of it) -> its call
        self.alive: list[torch.Tensor] = []  # keeps marked tensors alive, so their ids stay unique
        self.counts: dict[tuple[str, str], int] = {}

    def mark(self, out: Any, call: Call) -> None:
        if isinstance(out, torch.Tensor):
            self.marks[id(out)] = call
            self.alive.append(out)

    def record(self, caller: str, kind: str, path: str, shape: Any, base: str | None) -> Call:
        k = self.counts[(caller, path)] = self.counts.get((caller, path), -1) + 1
        call = Call(caller, kind, path, k, shape, base)
        self.census.calls.append(call)
        return call

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if self.inside():
            return out
        caller = self.stack[-1] if self.stack else ""
        x = args[0] if args else kwargs.get("input")
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else None
        row = _CALL_ROWS.get(func)
        if row is not None:
            call = self.record(caller, row.kind, row.path, shape, _call_base(func, args, kwargs))
            if call.base in GATE_BASES:
                self.mark(out, call)
        elif func in _SOFTMAX:
            self.record(caller, "softmax", getattr(func, "__name__", "softmax"), shape, None)
        elif func in _VIEWS and isinstance(x, torch.Tensor) and id(x) in self.marks:
            self.mark(out, self.marks[id(x)])
        elif func in _MULS:
            tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
            marked = [self.marks[id(a)] for a in tensors if id(a) in self.marks]
            if marked and len(tensors) > len(marked):
                for call in marked:
                    call.gate = True
        return out


def _call_base(func: Any, args: tuple, kwargs: dict) -> str | None:
    """Registry name of the function an activation call computes (``None`` for unusual arguments)."""
    try:
        eq = module_for_call(func, tuple(args), kwargs)
    except (TypeError, ValueError):
        return None
    return None if eq is None else base_name(eq[0])


def run_census(model: nn.Module, example_input: Any, skip: set[nn.Module] | None = None) -> Census:
    """Runs one forward pass of ``model`` (eval mode, ``no_grad``) and records its activation calls.

    ``skip``: modules whose own calls are not recorded (the replacements of a finished swap are
    then not counted as leftovers); their insides are never counted either.
    """
    census = Census()
    skip = skip or set()
    stack: list[str] = []
    opaque: list[bool] = []  # per stack entry: inside an activation (its own calls are not sites)
    names = {m: n for n, m in model.named_modules(remove_duplicate=False)}
    recorder = _Recorder(census, stack, lambda: bool(opaque) and opaque[-1])
    pending: dict[int, Call] = {}  # activation module being called -> its record (its output is marked)

    def pre(m: nn.Module, args: tuple) -> None:
        inside = bool(opaque) and opaque[-1]
        act = m in skip or is_activation_module(m)
        if act and not inside and m not in skip and m is not model:
            x = args[0] if args else None
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else None
            pending[id(m)] = recorder.record(stack[-1] if stack else "", "module", names[m], shape, base_name(m))
            pending[id(m)].module_id = id(m)
        stack.append(names[m])
        opaque.append(inside or act)

    def post(m: nn.Module, args: tuple, out: Any) -> None:
        stack.pop()
        opaque.pop()
        call = pending.pop(id(m), None)
        if call is not None and call.base in GATE_BASES:
            recorder.mark(out, call)

    hooks = [h for m in names for h in (m.register_forward_pre_hook(pre), m.register_forward_hook(post))]
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad(), recorder:
            census.output = model(**example_input) if isinstance(example_input, dict) else model(example_input)
    except Exception as e:  # any error of the user's forward: the census did not run, the report says why
        census.error = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
    finally:
        for h in hooks:
            h.remove()
        for m, t in modes:  # parents first: each module ends in its own mode
            m.train(t)
    return census


def input_candidates(model: nn.Module) -> list[tuple[Any, str]]:
    """Small example batches for ``model`` that a census may try, in order, each with where its form
    came from. From a Hugging Face config (``main_input_name``: token ids, or ``pixel_values`` of
    ``config.image_size``), a patch embedding's ``img_size`` (timm), timm's ``pretrained_cfg``
    (at 64 pixels, then at its own size), and the first layer: an ``nn.Embedding`` (token ids), a
    conv layer (32 pixels a side) or an ``nn.Linear``.
    """
    ref = next(iter(model.parameters()), None)
    dev = ref.device if ref is not None else torch.device("cpu")
    dtype = ref.dtype if ref is not None and ref.is_floating_point() else torch.float32
    gen = torch.Generator(device="cpu").manual_seed(0)
    out: list[tuple[Any, str]] = []

    def image(chans: int, h: int, w: int, why: str) -> None:
        x = torch.randn(2, chans, h, w, generator=gen).to(dev, dtype)
        out.append((x, f"an image batch (2, {chans}, {h}, {w}) {why}"))

    config, main = getattr(model, "config", None), getattr(model, "main_input_name", None)
    if config is not None and main == "input_ids" and getattr(config, "vocab_size", None):
        ids = torch.randint(0, int(config.vocab_size), (2, 8), generator=gen)
        out.append((ids.to(dev), "token ids (2, 8) from the model's config"))
    if config is not None and main == "pixel_values" and getattr(config, "image_size", None):
        size = int(config.image_size)
        image(int(getattr(config, "num_channels", 3)), size, size, "from the model's config")
    layers = (nn.Embedding, nn.modules.conv._ConvNd, nn.Linear)
    first = next((m for m in model.modules() if isinstance(m, layers)), None)
    chans = first.in_channels if isinstance(first, nn.modules.conv._ConvNd) else 3
    sizes: list[Any] = [getattr(m, "img_size", None) for m in model.modules()]
    img = next((v for v in sizes if isinstance(v, int) or (isinstance(v, tuple) and len(v) == 2)), None)
    if img is not None:
        h, w = (img, img) if isinstance(img, int) else img
        image(chans, int(h), int(w), "from the patch embedding's img_size")
    cfg = getattr(model, "pretrained_cfg", None)
    if isinstance(cfg, dict) and isinstance(cfg.get("input_size"), (tuple, list)) and len(cfg["input_size"]) == 3:
        c, h, w = (int(v) for v in cfg["input_size"])
        image(c, 64, 64, "from pretrained_cfg, at 64 pixels")
        image(c, h, w, "from pretrained_cfg")
    if isinstance(first, nn.Embedding):
        ids = torch.randint(0, first.num_embeddings, (2, 8), generator=gen)
        out.append((ids.to(dev), "token ids (2, 8) for the first layer, an nn.Embedding"))
    elif isinstance(first, nn.modules.conv._ConvNd):
        x = torch.randn(2, first.in_channels, *(32,) * (first.weight.dim() - 2), generator=gen)
        out.append((x.to(dev, dtype), f"a batch {tuple(x.shape)} for the first layer, a conv"))
    elif isinstance(first, nn.Linear):
        x = torch.randn(2, first.in_features, generator=gen)
        out.append((x.to(dev, dtype), f"a batch {tuple(x.shape)} for the first layer, an nn.Linear"))
    return out


def census_on(model: nn.Module, example_input: Any) -> tuple[Census | None, Any, str]:
    """The census on ``example_input``, or on the first inferred input that runs: (census or ``None``,
    the input used, where it came from or why no census ran)."""
    if example_input is not None:
        census = run_census(model, example_input)
        if census.error is None:
            return census, example_input, "the example_input"
        return None, None, f"the example_input failed ({census.error})"
    tried = []
    for x, how in input_candidates(model):
        census = run_census(model, x)
        if census.error is None:
            return census, x, how
        tried.append(f"{how}: {census.error}")
    if not tried:
        return None, None, "no example_input given and none could be inferred (no embedding, conv or linear layer)"
    return None, None, "no example_input given and the inferred ones failed (" + "; ".join(tried) + ")"


def activation_like(m: nn.Module) -> bool:
    """Whether an unrecognised module looks like an activation: no parameters, no children, and on a
    probe it preserves the shape, acts elementwise, and is not the identity (checked in eval mode)."""
    if is_activation_module(m) or any(True for _ in m.children()) or any(True for _ in m.parameters()):
        return False
    if any(True for _ in m.buffers()):  # state a probe call could change (a running statistic)
        return False
    if type(m).__module__.startswith("torch.nn."):  # torch's own non-activation layers (Dropout, pools...)
        return False
    x = torch.linspace(-3.0, 3.0, 2 * 4 * 3 * 3).view(2, 4, 3, 3)
    mode = m.training
    m.eval()
    try:
        with torch.no_grad():
            y = m(x.clone())
            x2 = x.clone()
            x2[0, 1, 1, 1] += 0.5
            y2 = m(x2)
    except Exception:  # not callable on a plain float tensor: not an elementwise activation
        return False
    finally:
        m.train(mode)
    if not isinstance(y, torch.Tensor) or y.shape != x.shape or not isinstance(y2, torch.Tensor):
        return False
    changed = (y2 != y).nonzero()
    local = changed.shape[0] == 0 or (changed.shape[0] == 1 and changed[0].tolist() == [0, 1, 1, 1])
    return local and not torch.equal(y, x)
