"""The path arguments of every command, checked once before dispatch: a folder where a file is
expected (or the reverse) is a clear error naming the flag, not an ``IsADirectoryError`` or a
``sqlite3`` traceback from deep inside."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UserError

__all__ = ["PATH_ARGS", "PathArgumentError", "check_path_args"]

#: (command, argument dest) -> (how the user spells it, what it must be):
#: "file" an existing file; "db" a database file, not a folder (whether it must exist is the
#: store's to say); "folder" a folder (absent: created); "new_file" a file to write, in an existing folder.
PATH_ARGS: dict[tuple[str, str], tuple[str, str]] = {
    ("train", "config"): ("--config", "file"),
    ("bench", "config"): ("--config", "file"),
    ("bench", "db"): ("--db", "db"),
    ("bench", "out"): ("--out", "folder"),
    ("report", "db"): ("DB", "db"),
    ("report", "out"): ("--out", "folder"),
    ("plot", "output"): ("--output", "new_file"),
    ("init-report", "plot"): ("--plot", "new_file"),
}


class PathArgumentError(UserError, ValueError):
    """A path argument names the wrong kind of thing (a folder for a file, a missing file...)."""


def check_path_args(args: argparse.Namespace) -> None:
    """Raises :class:`PathArgumentError` for the first path argument of ``args.command`` that is wrong."""
    for (command, dest), (flag, kind) in PATH_ARGS.items():
        value = getattr(args, dest, None)
        if command == args.command and value is not None:
            _check(flag, kind, Path(value))


def _check(flag: str, kind: str, p: Path) -> None:
    if kind == "file" and not p.exists():
        raise PathArgumentError(f"{flag} {str(p)!r} does not exist; give the path of an existing file")
    if kind in ("file", "db", "new_file") and p.is_dir():
        example = p / ("bench.db" if kind == "db" else "file")
        raise PathArgumentError(f"{flag} {str(p)!r} is a folder; give a file path, e.g. {str(example)!r}")
    if kind == "file" and not p.is_file():
        raise PathArgumentError(f"{flag} {str(p)!r} is not a regular file")
    if kind == "folder" and p.exists() and not p.is_dir():
        raise PathArgumentError(
            f"{flag} {str(p)!r} is a file, not a folder; give a folder for the report files, "
            f"e.g. {str(p) + '_report'!r}"
        )
    if kind in ("db", "folder"):  # created on use: the first existing ancestor must be a folder
        for parent in p.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise PathArgumentError(f"{flag} {str(p)!r}: {str(parent)!r} is a file, not a folder")
                break
    if kind == "new_file" and not p.parent.is_dir():
        raise PathArgumentError(
            f"{flag} {str(p)!r}: folder {str(p.parent)!r} does not exist; create it or choose another path"
        )
