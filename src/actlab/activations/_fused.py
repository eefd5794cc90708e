"""Fused kernels derived from an activation's formula: one pass forward, one pass backward.

An elementwise activation states its formula once, as a pure function ``fn(x, *params, *consts)``
of the input, its (constrained, broadcast) parameter tensors and its fixed float
hyper-parameters. From that one function :class:`FusedOp` builds

* two ``torch.library`` custom ops, ``actlab::<name>_fwd`` and ``actlab::<name>_bwd``, with fake
  (meta) implementations and autograd registered, so they compose with ``torch.compile`` (no
  graph break) and with autocast;
* the forward kernel ``fn`` itself and the backward kernel, the vector-Jacobian product of
  ``fn`` taken with ``torch.func.vjp`` (the forward is recomputed inside the backward, so the
  input gradient and every parameter-gradient reduction come out of one pass); both are
  compiled by TorchInductor (C++/OpenMP on CPU, Triton on CUDA);
* only the input and the parameters are saved for backward (an eager composite saves 2-5
  intermediate tensors).

A formula need not be elementwise in ``x`` as long as the vector-Jacobian product is what the
backward needs: the gated units (:mod:`actlab.activations.glu`) split ``x`` into halves along
a dimension and return one half-sized output. Such a formula carries ``fn.out_like(x)``, a
view of ``x`` with the output's shape; the fake kernel promises ``torch.empty_like`` of it and
the real kernels return that layout (and ``x``'s for the input gradient). Without
``out_like`` the output is shaped like ``x``.

Half-precision inputs are computed in float32 inside the kernels and stored back in the input
dtype. Parameters arrive already constrained and broadcast (``Activation.param``), so
constraints (softplus reparameterizations) stay in ordinary autograd outside the kernel.

Deriving the backward by autograd means the fused gradient is, by construction, the gradient
of the eager formula, subgradient conventions included (``torch.maximum`` splits the gradient
evenly at ties; ``torch.where`` passes it to the selected branch).

When the kernels cannot be compiled (no C++ compiler for the CPU backend, say) ``impl="fused"``
raises :class:`CompileUnavailable`, and ``impl="auto"`` uses the eager formula after one warning.
"""

from __future__ import annotations

import re
import sys
import types
import warnings
from collections.abc import Callable, Sequence

import torch

__all__ = [
    "FusedOp",
    "CompileUnavailable",
    "fused_op",
    "fp32_if_half",
    "HALF_DTYPES",
    "set_compile_kernels",
]

Tensor = torch.Tensor
Formula = Callable[..., Tensor]
HALF_DTYPES = (torch.float16, torch.bfloat16)

# Compile the kernels with inductor (True) or run them as eager tensor ops (False: same formula,
# same saved tensors, no code generation; the tests of the math use it).
_COMPILE = {"enabled": True}


def fp32_if_half(x: Tensor) -> Tensor:
    """``x`` in float32 if it is float16/bfloat16, else unchanged: where a formula in half precision
    would overflow, lose its gradient (parameter gradients summed over the whole tensor), or
    meet constants not representable there (a 1e-7 clamp next to 1). Callers cast back with
    ``.to(x.dtype)``."""
    return x.float() if x.dtype in HALF_DTYPES else x


def set_compile_kernels(enabled: bool) -> bool:
    """Chooses whether fused kernels are compiled by TorchInductor. Returns the previous setting.

    With ``False`` the fused path runs the same forward and vector-Jacobian product as eager
    tensor ops: the same formula and saved tensors, without code generation. Its results are then
    bit-identical to the eager module's in every layout (compiled kernels round transcendental
    functions differently, within a few eps of the largest value: ``tests/test_glu_fused.py``),
    at eager speed instead of the compiled kernels' (the saved-memory saving is kept).

    >>> import actlab
    >>> prev = actlab.activations.set_compile_kernels(False)   # bit-exact fused kernels from here on
    >>> _ = actlab.activations.set_compile_kernels(prev)
    """
    prev = _COMPILE["enabled"]
    _COMPILE["enabled"] = bool(enabled)
    return prev


class CompileUnavailable(RuntimeError):
    """TorchInductor could not build the fused kernel on this machine."""


def _renamed(fn: Callable, name: str) -> Callable:
    """A copy of ``fn`` with its own code object: TorchDynamo caches compiled graphs per code
    object, so kernels made from one closure template would otherwise share (and exhaust) one
    recompile budget across all activations."""
    code = fn.__code__
    # Code objects have co_qualname from Python 3.11 on; a version check (unlike hasattr) is one mypy
    # understands when it checks for 3.10.
    if sys.version_info >= (3, 11):
        code = code.replace(co_name=name, co_qualname=name)
    else:
        code = code.replace(co_name=name)
    new = types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    new.__qualname__ = name
    return new


def _make_kernels(fn: Formula, name: str) -> tuple[Callable, Callable]:
    def fwd_kernel(x: Tensor, params: list[Tensor], consts: list[float]) -> Tensor:
        return fn(fp32_if_half(x), *[fp32_if_half(p) for p in params], *consts).to(x.dtype)

    def bwd_kernel(g: Tensor, x: Tensor, params: list[Tensor], consts: list[float]) -> tuple[Tensor, ...]:
        def f(z: Tensor, *ps: Tensor) -> Tensor:
            return fn(z, *ps, *consts)

        # [1]: the vjp function (without has_aux, torch.func.vjp returns (output, vjp_fn))
        vjp = torch.func.vjp(f, fp32_if_half(x), *[fp32_if_half(p) for p in params])[1]
        gx, *gps = vjp(fp32_if_half(g))
        return (gx.to(x.dtype), *(gp.to(p.dtype) for gp, p in zip(gps, params, strict=True)))

    return _renamed(fwd_kernel, f"{name}_fwd_kernel"), _renamed(bwd_kernel, f"{name}_bwd_kernel")


class FusedOp:
    """Custom ops plus lazily compiled kernels for one formula.

    Args:
        fn: the formula ``fn(x, *params, *consts) -> Tensor``, elementwise in ``x`` unless it
            carries ``fn.out_like`` (see the module docstring).
        name: a unique identifier (``[A-Za-z0-9_]``), used for the custom-op names.
    """

    def __init__(self, fn: Formula, name: str) -> None:
        self.fn, self.name = fn, name
        #: ``out_like(x)``: a view of ``x`` shaped like the output (``None``: shaped like ``x``)
        self.out_like: Callable[[Tensor], Tensor] | None = getattr(fn, "out_like", None)
        self._eager_fwd, self._eager_bwd = _make_kernels(fn, name)
        self._compiled: dict[tuple, tuple[Callable, Callable]] = {}
        self._failed: dict[str, str] = {}
        self.fwd_op, self.bwd_op = self._register_ops()

    # ------------------------------------------------------------------ kernels
    @staticmethod
    def _variant(x: Tensor, params: Sequence[Tensor]) -> tuple:
        """What a compiled kernel is specialised on besides sizes (which stay dynamic)."""
        return (x.device.type, x.dtype, x.dim(), tuple((p.dim(), p.dtype) for p in params))

    def kernels(self, variant: tuple) -> tuple[Callable, Callable]:
        """The (forward, backward) kernels for one variant; each variant is compiled from its own
        code objects so its recompiles never eat another variant's TorchDynamo budget."""
        if not _COMPILE["enabled"]:
            return self._eager_fwd, self._eager_bwd
        device_type = variant[0]
        if device_type in self._failed:
            raise CompileUnavailable(self._failed[device_type])
        if variant not in self._compiled:
            tag = f"{self.name}_v{len(self._compiled)}"
            fwd, bwd = _renamed(self._eager_fwd, f"{tag}_fwd"), _renamed(self._eager_bwd, f"{tag}_bwd")
            self._compiled[variant] = (
                torch.compile(fwd, dynamic=True, fullgraph=True),
                torch.compile(bwd, dynamic=True, fullgraph=True),
            )
            _COMPILED_DEVICES.add(device_type)
        return self._compiled[variant]

    def _run(self, which: int, x: Tensor, params: Sequence[Tensor], *args):
        variant = self._variant(x, params)
        fn = self.kernels(variant)[which]
        try:
            # no_grad: the custom op's autograd is ours; without it the compiled kernel would see
            # inputs that require grad and AOTAutograd would trace a joint forward/backward graph
            # (on CPU that made a compiled elementwise forward several times slower than eager)
            with torch.no_grad():
                return fn(*args)
        except CompileUnavailable:
            raise
        except Exception as e:  # inductor raises many types; record and report once
            if fn is self._eager_fwd or fn is self._eager_bwd:
                raise
            first = str(e).splitlines()[0] if str(e) else ""
            msg = (
                f"fused kernel for {self.name!r} could not be compiled on {variant[0]} "
                f"({type(e).__name__}: {first}); check that TorchInductor works here (a C++ compiler on "
                "CPU, Triton on CUDA), or use impl='eager'"
            )
            self._failed[variant[0]] = msg
            raise CompileUnavailable(msg) from e

    def compiled_ready(self, device_type: str) -> bool:
        """Whether any kernel variant has been compiled for this device type in this process."""
        return any(v[0] == device_type for v in self._compiled)

    # ------------------------------------------------------------------ custom ops
    def _register_ops(self):
        op, out_like = self, self.out_like

        @torch.library.custom_op(f"actlab::{self.name}_fwd", mutates_args=())
        def fwd(x: Tensor, params: list[Tensor], consts: list[float]) -> Tensor:
            y = op._run(0, x, params, x, params, consts)
            if out_like is not None:
                y = _laid_out(y, out_like(x))
            return _fresh(y, (x, *params))

        @fwd.register_fake
        def _(x: Tensor, params: list[Tensor], consts: list[float]) -> Tensor:
            return torch.empty_like(x if out_like is None else out_like(x))

        @torch.library.custom_op(f"actlab::{self.name}_bwd", mutates_args=())
        def bwd(g: Tensor, x: Tensor, params: list[Tensor], consts: list[float]) -> list[Tensor]:
            inputs = (g, x, *params)
            gx, *gps = op._run(1, x, params, g, x, params, consts)
            if out_like is not None:  # the gradient of a split formula is assembled from its halves
                gx = _laid_out(gx, x)
            return [_fresh(t, inputs) for t in (gx, *gps)]

        @bwd.register_fake
        def _(g: Tensor, x: Tensor, params: list[Tensor], consts: list[float]) -> list[Tensor]:
            return [torch.empty_like(x)] + [torch.empty_like(p) for p in params]

        def setup_context(ctx, inputs, output):
            x, params, consts = inputs
            ctx.consts = list(consts)
            ctx.save_for_backward(x, *params)

        def backward(ctx, grad):
            x, *params = ctx.saved_tensors
            grads = bwd(grad, x, list(params), ctx.consts)
            # torch.library wants [] (not None) for an empty list input
            return grads[0], list(grads[1:]), (None if ctx.consts else [])

        fwd.register_autograd(backward, setup_context=setup_context)
        return fwd, bwd

    def __call__(self, x: Tensor, params: Sequence[Tensor], consts: Sequence[float] = ()) -> Tensor:
        return self.fwd_op(x, list(params), [float(c) for c in consts])

    def __repr__(self) -> str:
        return f"FusedOp({self.name!r})"


def _fresh(t: Tensor, inputs: Sequence[Tensor]) -> Tensor:
    """``t``, cloned if it shares memory with an input (custom ops may not return an alias: the
    identity's forward, or a gradient that is the incoming gradient itself)."""
    ptr = t.untyped_storage().data_ptr()
    return t.clone() if any(i.untyped_storage().data_ptr() == ptr for i in inputs) else t


def _laid_out(t: Tensor, like: Tensor) -> Tensor:
    """``t`` with the strides of ``torch.empty_like(like)`` (what the fake kernel promised),
    copied only where they differ."""
    want = torch.empty_like(like, device="meta")
    if t.shape != want.shape:
        raise RuntimeError(f"fused kernel returned shape {tuple(t.shape)}, expected {tuple(want.shape)}")
    if t.stride() == want.stride():
        return t
    return torch.empty_like(like).copy_(t)


_OPS: dict[Formula, FusedOp] = {}
_COMPILED_DEVICES: set[str] = set()


def compiled_any(device_type: str) -> bool:
    """Whether any fused op has compiled a kernel for this device type in this process."""
    return device_type in _COMPILED_DEVICES
_NAMES: set[str] = set()


def _op_name(fn: Formula) -> str:
    label: str = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or "formula"
    base = re.sub(r"\W+", "_", label)
    base = re.sub(r"_+", "_", base.replace("<locals>", "")).strip("_") or "formula"
    name, k = base, 1
    while name in _NAMES:
        k += 1
        name = f"{base}_{k}"
    _NAMES.add(name)
    return name


def fused_op(fn: Formula) -> FusedOp:
    """The :class:`FusedOp` of a formula (made once per function object, then reused)."""
    op = _OPS.get(fn)
    if op is None:
        op = _OPS[fn] = FusedOp(fn, _op_name(fn))
    return op


def warn_once(msg: str, _seen: set = set()) -> None:  # noqa: B006 - intentional process-wide memo
    if msg not in _seen:
        _seen.add(msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
