"""``actlab list``, ``actlab show NAME`` and ``actlab plot NAME... -o FILE``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list registered activations")
    p.add_argument("pattern", nargs="?", default=None, help="shell pattern, e.g. 'ada*'")
    kind = p.add_mutually_exclusive_group()  # both at once is a contradiction: argparse says so, exit 2
    kind.add_argument("--trainable", action="store_true", default=None, help="only trainable activations")
    kind.add_argument("--fixed", dest="trainable", action="store_false", help="only fixed activations")
    p.set_defaults(func=_list)

    p = sub.add_parser("show", help="print the property-table row of an activation")
    p.add_argument("name", help="registry name or alias, e.g. 'swish'")
    p.set_defaults(func=_show)

    p = sub.add_parser("plot", help="plot activations and their derivatives to an image file")
    p.add_argument("names", nargs="+", metavar="NAME", help="registry names or aliases")
    p.add_argument("-o", "--output", required=True, help="image file to write, e.g. acts.png")
    p.add_argument("--range", nargs=2, type=float, default=(-6.0, 6.0), metavar=("LO", "HI"),
                   help="x range (default -6 6)")
    p.add_argument("--points", type=int, default=1201, help="number of grid points (default 1201)")
    p.set_defaults(func=_plot)


def _list(args: argparse.Namespace) -> int:
    from ..activations import activation_info, list_activations

    names = list_activations(args.pattern, trainable=args.trainable)
    print(f"{'name':<18} {'category':<9} {'params':<22} formula")
    for n in names:
        info = activation_info(n)
        params = ",".join(p.name for p in info.params) or "-"
        print(f"{n:<18} {info.category:<9} {params:<22} {info.formula}")
    print(f"{len(names)} activations")
    return 0


def _show(args: argparse.Namespace) -> int:
    from ..activations import activation_info

    rows = activation_info(args.name).as_rows()
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


def curves(name: str, lo: float, hi: float, points: int):
    """Grid, values and derivatives (float64, autograd) of an elementwise activation at its defaults.

    Raises:
        ValueError: for activations that are not elementwise (they have no 1-D curve).
    """
    import torch

    from ..activations import activation_info, create_activation

    info = activation_info(name)
    if not info.elementwise:
        raise ValueError(
            f"{info.name!r} is not elementwise (arity {info.arity}, batch dependent: {info.batch_dependent}), "
            "so it has no 1-D curve to plot; pick elementwise activations (see `actlab show NAME`)"
        )
    if not (hi > lo and points >= 2):
        raise ValueError(f"need --range LO HI with HI > LO and --points >= 2, got range ({lo}, {hi}), {points} points")
    x = torch.linspace(lo, hi, points, dtype=torch.float64, requires_grad=True)
    y = create_activation(name).double()(x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    return x.detach().numpy(), y.detach().numpy(), dy.numpy()


def _plot(args: argparse.Namespace) -> int:
    from matplotlib.figure import Figure  # Agg canvas, no global pyplot state

    from ..activations import canonical_activation_name

    out = Path(args.output)
    if not out.parent.exists():
        raise FileNotFoundError(f"output folder {out.parent} does not exist; create it or choose another -o path")
    lo, hi = args.range
    data = [(canonical_activation_name(n), *curves(n, lo, hi, args.points)) for n in args.names]
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_f, ax_d = fig.subplots(1, 2)
    for name, x, y, dy in data:
        ax_f.plot(x, y, label=name)
        ax_d.plot(x, dy, label=name)
    for ax, title in ((ax_f, "f(x)"), (ax_d, "f'(x)")):
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(0, color="0.6", lw=0.6)
        ax.grid(alpha=0.3)
    ax_f.legend(fontsize="small")
    fig.savefig(out, dpi=110)
    print(f"wrote {out} ({', '.join(n for n, *_ in data)})")
    return 0
