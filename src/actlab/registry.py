"""A small, strict name -> object registry shared by activations, models and datasets.

Names become objects in exactly one place. Registration of a taken name raises; lookup of an
unknown name raises ``ValueError`` quoting the name and the closest valid ones.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["Registry", "normalize_name"]

T = TypeVar("T")


def normalize_name(name: str) -> str:
    """Canonical spelling of a registry name: lower case, ``-`` and spaces become ``_``."""
    if not isinstance(name, str):
        raise TypeError(f"a registry name must be a str, got {type(name).__name__}: {name!r}")
    return name.strip().lower().replace("-", "_").replace(" ", "_")


class Registry(Generic[T]):
    """Maps canonical names (and aliases) to entries.

    Args:
        kind: what the registry holds, used in error messages (``"activation"``, ``"model"``).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def add(self, name: str, entry: T, aliases: tuple[str, ...] = ()) -> None:
        """Registers ``entry`` under ``name`` and its aliases; any name already taken raises."""
        key = normalize_name(name)
        for n in (key, *map(normalize_name, aliases)):
            if n in self._entries or n in self._aliases:
                owner = self._aliases.get(n, n)
                raise ValueError(
                    f"{self.kind} name {n!r} is already registered (by {owner!r}); "
                    f"choose another name or unregister the existing one first"
                )
        self._entries[key] = entry
        for a in aliases:
            self._aliases[normalize_name(a)] = key

    def remove(self, name: str) -> None:
        """Removes a name and its aliases (for users replacing their own registrations)."""
        key = self.canonical(name)
        del self._entries[key]
        self._aliases = {a: k for a, k in self._aliases.items() if k != key}

    def canonical(self, name: str) -> str:
        """The canonical name for ``name`` or one of its aliases; unknown names raise."""
        key = normalize_name(name)
        if key in self._entries:
            return key
        if key in self._aliases:
            return self._aliases[key]
        choices = sorted(set(self._entries) | set(self._aliases))
        close = difflib.get_close_matches(key, choices, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        cli = " or `actlab list`" if self.kind == "activation" else ""
        raise ValueError(f"unknown {self.kind} {name!r}{hint} (list them with actlab.list_{self.kind}s(){cli})")

    def get(self, name: str) -> T:
        return self._entries[self.canonical(name)]

    def aliases_of(self, name: str) -> tuple[str, ...]:
        key = self.canonical(name)
        return tuple(sorted(a for a, k in self._aliases.items() if k == key))

    def names(self, pattern: str | None = None) -> list[str]:
        """Sorted canonical names, optionally filtered by a shell-style pattern (matches aliases too)."""
        names = sorted(self._entries)
        if pattern is None:
            return names
        pat = normalize_name(pattern)
        return [
            n
            for n in names
            if fnmatch.fnmatch(n, pat) or any(fnmatch.fnmatch(a, pat) for a in self.aliases_of(n))
        ]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = normalize_name(name)
        return key in self._entries or key in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
