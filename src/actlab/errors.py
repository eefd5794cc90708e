"""The one base class of the errors a user causes (bad names, values, paths, files, databases,
dataset layouts, model/data mismatches). The CLI prints such an error as one line and exits 2;
anything else is an internal error and keeps its traceback. A leaf module: it imports nothing of
actlab, so every layer can raise these."""

from __future__ import annotations


class UserError(Exception):
    """An error caused by the user's input, whose message says what was wrong and how to fix it."""
