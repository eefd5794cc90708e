"""Fused gated linear units vs the eager ``act(a) * b``: forward+backward time and saved bytes.

CPU (always): for swiglu, geglu and reglu at a Llama-like shape (``--tokens`` x ``2 * hidden``
fp32, default 2048 x 2816), the fused unit (``impl="fused"``, the TorchInductor-compiled
kernels) and the plain torch expression ``F.silu(a) * b`` (``a, b = x.chunk(2, -1)``) are
timed alternately (``actlab.perf.paired_ratio``: baseline and candidate interleaved, median
of the paired ratios with quartiles), and the bytes autograd saves for backward are counted
exactly (``actlab.memory.saved_bytes``). Target: saved bytes <= 0.5x eager.

CUDA (when ``torch.cuda.is_available()``): one training step (forward + backward) of a
Llama-7B-shaped MLP (``d_model`` 4096 -> one fused gate/up projection to 2 x 11008 -> SwiGLU ->
11008 -> 4096, bf16, ``--cuda-tokens`` tokens): peak allocated memory above the inputs and the
weights, and time, for eager ``F.silu(a) * b``, the fused unit, and ``torch.compile`` of the
eager MLP. Anchor: Liger-Kernel's fused SwiGLU MLP reports ~-30 % peak memory vs eager at
speed parity (A100, bf16).

MLP block (CPU, always): the transformer MLP ``fc2(act(fc1(x)))`` of
:class:`actlab.models.blocks.GatedMLP` at ``--d-model`` x ``--hidden`` with SwiGLU, eager unit vs
fused unit vs fused unit with ``recompute=True`` (the first projection and the unit recomputed in
backward): bytes saved for backward (exact; weights excluded) and fwd+bwd time, paired against
the eager block. This is where a <= 0.5x saved-bytes target can be met: the unit alone cannot go
below 0.667x of ``act(a) * b`` (its backward needs both halves of its input).

Exactness probe (CPU, always): ATen's own eager kernels are not layout-invariant (a row's
vectorised body and its scalar tail round differently, strided inputs take other loops), so the
same values give different bits in different layouts; the script counts them. A compiled kernel
can therefore match eager bit for bit only layout by layout, never in general; the fused kernels
run as tensor ops (``set_compile_kernels(False)``) match it in every layout (tests/test_glu_fused.py).

Usage::

    python benchmarks/glu_fused.py [--tokens 2048] [--hidden 1408] [--repeats 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import sys
from collections.abc import Callable

import torch
import torch.nn.functional as F

import actlab
from actlab.memory import saved_bytes
from actlab.perf.timing import paired_ratio

GATES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "swiglu": F.silu,
    "geglu": F.gelu,
    "reglu": F.relu,
}


def _eager(gate: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
    def fn(x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, -1)
        return gate(a) * b

    return fn


def _step(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, g: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        xg = x.detach().requires_grad_(True)
        fn(xg).backward(g)

    return run


def cpu(tokens: int, hidden: int, repeats: int, warmup: int) -> list[dict]:
    torch.manual_seed(0)
    x = torch.randn(tokens, 2 * hidden)
    g = torch.randn(tokens, hidden)
    rows = []
    for name, gate in GATES.items():
        eager = _eager(gate)
        fused = actlab.create_activation(name, impl="fused")
        xg = x.detach().requires_grad_(True)
        ye, yf = eager(xg), fused(xg)
        exact = torch.equal(ye, yf)
        max_rel = ((yf - ye).abs().max() / ye.abs().max()).item()
        r = paired_ratio(_step(fused, x, g), _step(eager, x, g), repeats=repeats, warmup=warmup)
        be, bf = saved_bytes(functools.partial(eager, xg)), saved_bytes(functools.partial(fused, xg))
        rows.append({
            "name": name, "time_ratio": r.median, "q1": r.q1, "q3": r.q3, "n": r.n,
            "eager_ms": 1e3 * r.baseline_s, "fused_ms": 1e3 * r.candidate_s,
            "saved_eager_bytes": be, "saved_fused_bytes": bf, "saved_ratio": bf / be,
            "x_bytes": x.numel() * x.element_size(), "forward_bit_exact": exact, "forward_max_rel": max_rel,
        })
    return rows


def mlp_block(tokens: int, d_model: int, hidden: int, repeats: int, warmup: int) -> list[dict]:
    from actlab.models._common import ActSites
    from actlab.models.blocks import GatedMLP

    torch.manual_seed(0)
    x = torch.randn(tokens, d_model)
    variants = {}
    for label, impl, recompute in (("eager", "eager", False), ("fused", "fused", False),
                                   ("fused+recompute", "fused", True)):
        m = GatedMLP(d_model, hidden, d_model, "swiglu", ActSites(channel_dim=-1), "mlp", match_params=False,
                     bias=False, recompute=recompute)
        if variants:
            m.load_state_dict(next(iter(variants.values())).state_dict())
        m.act = actlab.create_activation("swiglu", impl=impl)
        variants[label] = m
    g = torch.randn(tokens, d_model)
    base = variants["eager"]
    rows = []
    for label, m in variants.items():
        xg = x.detach().requires_grad_(True)
        saved = saved_bytes(lambda m=m, xg=xg: m(xg), exclude=list(m.parameters()))
        ye = base(xg)
        row = {"variant": label, "saved_bytes": saved, "forward_bit_exact": bool(torch.equal(m(xg), ye))}
        if label != "eager":
            r = paired_ratio(_step(m, x, g), _step(base, x, g), repeats=repeats, warmup=warmup)
            row.update(time_ratio=r.median, q1=r.q1, q3=r.q3, n=r.n, ms=1e3 * r.candidate_s,
                       eager_ms=1e3 * r.baseline_s)
        rows.append(row)
    for r in rows:
        r["saved_vs_eager"] = r["saved_bytes"] / rows[0]["saved_bytes"]
    return rows


def layout_probe(n: int = 1 << 16) -> list[dict]:
    """How many elements ATen's eager kernels round differently for the same values in other layouts."""
    torch.manual_seed(0)
    v = torch.randn(n) * 3
    side = int(n**0.5)
    fns = {"silu": F.silu, "gelu": F.gelu, "gelu_tanh": functools.partial(F.gelu, approximate="tanh"),
           "sigmoid": torch.sigmoid, "relu": F.relu}
    rows = []
    for name, f in fns.items():
        y = f(v)
        short = torch.cat([f(v[i:i + 7].clone()) for i in range(0, 4095, 7)])  # rows of 7: scalar loops
        strided = f(v[: side * side].view(side, side).t()).t().reshape(-1)
        rows.append({"fn": name, "rows_of_7_differ": int((short != y[: short.numel()]).sum()),
                     "rows_of_7_n": short.numel(), "transposed_differ": int((strided != y[: side * side]).sum()),
                     "transposed_n": side * side})
    return rows


def cuda(tokens: int, d_model: int = 4096, inter: int = 11008, repeats: int = 10) -> list[dict]:  # pragma: no cover
    dev, dt = torch.device("cuda"), torch.bfloat16
    torch.manual_seed(0)
    w_up = (torch.randn(2 * inter, d_model, device=dev, dtype=dt) * 0.02).requires_grad_(True)
    w_down = (torch.randn(d_model, inter, device=dev, dtype=dt) * 0.02).requires_grad_(True)
    h = torch.randn(tokens, d_model, device=dev, dtype=dt, requires_grad=True)
    fused_act = actlab.create_activation("swiglu", impl="fused")

    def mlp(act: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
        return lambda z: F.linear(act(F.linear(z, w_up)), w_down)

    variants = {
        "eager": mlp(_eager(F.silu)),
        "fused": mlp(fused_act),
        "torch.compile(eager)": torch.compile(mlp(_eager(F.silu))),
    }
    rows = []
    for label, fn in variants.items():
        for _ in range(3):  # warm-up (and compilation)
            fn(h).sum().backward()
        for t in (h, w_up, w_down):
            t.grad = None
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start = torch.cuda.memory_allocated()
        fn(h).sum().backward()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - start
        for t in (h, w_up, w_down):
            t.grad = None
        ev0, ev1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        ev0.record()
        for _ in range(repeats):
            fn(h).sum().backward()
        ev1.record()
        torch.cuda.synchronize()
        rows.append({"variant": label, "peak_bytes": peak, "ms": ev0.elapsed_time(ev1) / repeats})
    base = rows[0]
    for r in rows:
        r["peak_vs_eager"] = r["peak_bytes"] / base["peak_bytes"]
        r["time_vs_eager"] = r["ms"] / base["ms"]
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, default=2048)
    p.add_argument("--hidden", type=int, default=1408, help="x has 2 * hidden channels (2816 by default)")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--cuda-tokens", type=int, default=4096)
    p.add_argument("--mlp-tokens", type=int, default=1024)
    p.add_argument("--d-model", type=int, default=512)
    p.add_argument("--mlp-hidden", type=int, default=1376, help="hidden width of the MLP block (Llama: 2.6875 d)")
    p.add_argument("--json", help="also write the results here")
    a = p.parse_args(argv)
    out: dict = {
        "torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
        "threads": torch.get_num_threads(), "shape": [a.tokens, 2 * a.hidden], "dtype": "float32",
    }
    print(f"CPU, x = {a.tokens} x {2 * a.hidden} fp32, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print("fused / eager act(a) * b, fwd+bwd: median of paired ratios [quartiles]; saved bytes exact")
    out["cpu"] = cpu(a.tokens, a.hidden, a.repeats, a.warmup)
    for r in out["cpu"]:
        print(
            f"  {r['name']:<7} time {r['time_ratio']:.2f}x [{r['q1']:.2f}, {r['q3']:.2f}] n={r['n']} "
            f"(eager {r['eager_ms']:.1f} ms, fused {r['fused_ms']:.1f} ms)   saved {r['saved_ratio']:.3f}x "
            f"({r['saved_fused_bytes'] / 2**20:.1f} MiB vs {r['saved_eager_bytes'] / 2**20:.1f} MiB; "
            f"x = {r['x_bytes'] / 2**20:.1f} MiB)   forward bit-exact: {r['forward_bit_exact']} "
            f"(max |d| / max |y| = {r['forward_max_rel']:.2g})"
        )
    out["mlp_block"] = mlp_block(a.mlp_tokens, a.d_model, a.mlp_hidden, a.repeats, a.warmup)
    print(f"MLP block fc2(swiglu(fc1(x))), {a.mlp_tokens} tokens, d {a.d_model}, hidden {a.mlp_hidden}, fp32, no bias:")
    for r in out["mlp_block"]:
        t = (f"time {r['time_ratio']:.2f}x [{r['q1']:.2f}, {r['q3']:.2f}] n={r['n']} ({r['ms']:.1f} ms vs "
             f"{r['eager_ms']:.1f} ms)" if "time_ratio" in r else "time 1.00x (baseline)")
        saved = f"saved {r['saved_bytes'] / 2**20:6.1f} MiB ({r['saved_vs_eager']:.3f}x eager)"
        print(f"  {r['variant']:<16} {saved}  {t}  forward bit-exact vs eager block: {r['forward_bit_exact']}")
    out["layout_probe"] = layout_probe()
    print("ATen eager kernels, same values in other layouts (elements with other bits):")
    for r in out["layout_probe"]:
        print(f"  {r['fn']:<10} rows of 7: {r['rows_of_7_differ']}/{r['rows_of_7_n']}   transposed: "
              f"{r['transposed_differ']}/{r['transposed_n']}")
    if torch.cuda.is_available():  # pragma: no cover - no device on the development machine
        out["cuda"] = cuda(a.cuda_tokens)
        print(f"CUDA {torch.cuda.get_device_name()}: Llama-7B MLP step, bf16, {a.cuda_tokens} tokens")
        for r in out["cuda"]:
            print(f"  {r['variant']:<22} peak {r['peak_bytes'] / 2**20:8.1f} MiB ({r['peak_vs_eager']:.2f}x eager)  "
                  f"{r['ms']:.2f} ms ({r['time_vs_eager']:.2f}x)   [Liger anchor: ~0.70x peak at ~1.0x time]")
    else:
        print("CUDA: not available here; the peak-memory branch did not run")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
