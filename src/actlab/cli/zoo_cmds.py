"""``actlab list``, ``actlab show NAME`` and ``actlab plot NAME... -o FILE``."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list registered activations")
    p.add_argument("pattern", nargs="?", default=None, help="shell pattern, e.g. 'ada*'")
    p.add_argument("--trainable", action="store_true", default=None, help="only trainable activations")
    p.add_argument("--fixed", dest="trainable", action="store_false", help="only fixed activations")
    p.set_defaults(func=_list)


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
