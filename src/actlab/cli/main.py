"""Entry point of the ``actlab`` command. Each subcommand lives in its own module that defines
``add_parser(subparsers)`` registering a parser whose ``func(args) -> int`` does the work.

The one error path: an error the user caused (:class:`actlab.errors.UserError`, and the standard
ones that only bad input raises here: ``ValueError`` and the file/folder ``OSError`` kinds) ends in
one line ``actlab COMMAND: error: ...`` on stderr and exit status 2; ``--debug`` (anywhere on the
command line) or ``ACTLAB_DEBUG=1`` shows its traceback instead. Any other exception is an internal
error and keeps its traceback. Ctrl-C ends in ``actlab COMMAND: interrupted`` and exit status 130.
Path arguments are checked here, before dispatch (:mod:`._paths`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import UserError
from ._paths import check_path_args

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

#: the exceptions printed as one line with exit status 2: the user's input caused them
USER_ERRORS: tuple[type[BaseException], ...] = (
    UserError, ValueError, FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError,
)

_DEBUG_HELP = "show the traceback of an error (also: ACTLAB_DEBUG=1)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="actlab", description="The PyTorch laboratory for activation functions.")
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"actlab {__version__}")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in COMMAND_MODULES:
        importlib.import_module(mod).add_parser(sub)
    for p in sub.choices.values():  # `actlab train ... --debug` works too
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
    return parser


def debug_requested(args: argparse.Namespace | None = None) -> bool:
    """Whether ``--debug`` was given or ``$ACTLAB_DEBUG`` is set to something other than 0/empty."""
    return bool(getattr(args, "debug", False)) or os.environ.get("ACTLAB_DEBUG", "").strip() not in ("", "0")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help, --version (0) or a usage error (2), already printed
        return e.code if isinstance(e.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        check_path_args(args)
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback (commands that keep work say more first)
        if debug_requested(args):
            raise
        print(f"actlab {args.command}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as e:
        if debug_requested(args):
            raise
        print(f"actlab {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
