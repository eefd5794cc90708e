"""Entry point of the ``actlab`` command. Each subcommand lives in its own module that defines
``add_parser(subparsers)`` registering a parser whose ``func(args) -> int`` does the work."""

from __future__ import annotations

import argparse
import importlib
import sys

# One module per subcommand group, in help order.
COMMAND_MODULES = [
    "actlab.cli.zoo_cmds",  # list, show, plot
    "actlab.cli.profile_cmd",  # profile
    "actlab.cli.init_cmd",  # init-report
    "actlab.cli.bench_cmds",  # bench, report
    "actlab.cli.train_cmd",  # train
    "actlab.cli.claims_cmd",  # claims list, run, report
    # [cli-modules]
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="actlab", description="The PyTorch laboratory for activation functions.")
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"actlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in COMMAND_MODULES:
        importlib.import_module(mod).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except (ValueError, FileNotFoundError) as e:
        print(f"actlab {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
