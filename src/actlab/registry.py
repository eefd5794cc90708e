"""A small, strict name -> object registry shared by activations, models and datasets.

Names become objects in exactly one place. Registration of a taken name raises; lookup of an
unknown name raises ``ValueError`` quoting the name and the closest valid ones. A registry can
also hold *families* of derived names (``"<name>_glu"`` for every activation): one rule, added
with :meth:`Registry.add_family`, builds the entry of a derived name on first use.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import UserError

__all__ = ["Registry", "UnknownNameError", "normalize_name"]

T = TypeVar("T")


class UnknownNameError(UserError, ValueError):
    """A name that is not registered; the message quotes it and the closest valid names."""


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
        self._families: dict[str, Callable[[str], T]] = {}
        self._derived: dict[str, T] = {}

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

    def add_family(self, suffix: str, make: Callable[[str], T]) -> None:
        """Derived names: ``<base><suffix>`` for any name ``base`` of this registry.

        ``make(canonical base) -> entry`` builds the entry on first use (and may raise
        ``ValueError`` for bases it does not accept); it is cached under the canonical derived
        name ``<canonical base><suffix>``. Registered names and aliases take precedence over
        derived ones; :meth:`names` lists registered names only.

        Args:
            suffix: the normalised suffix, e.g. ``"_glu"``.
            make: builds the entry for a canonical base name.
        """
        key = normalize_name(suffix)
        if key in self._families:
            raise ValueError(f"{self.kind} family {key!r} is already registered")
        self._families[key] = make

    def remove(self, name: str) -> None:
        """Removes a name and its aliases (for users replacing their own registrations)."""
        key = self.canonical(name)
        if key not in self._entries:
            raise ValueError(f"{self.kind} {name!r} is a derived name; remove its base or family instead")
        del self._entries[key]
        self._aliases = {a: k for a, k in self._aliases.items() if k != key}
        self._derived = {}  # entries derived from the removed name are stale

    def _derive(self, key: str) -> str | None:
        """The canonical derived name for ``key`` (building its entry once), ``None`` if no family matches."""
        for suffix, make in self._families.items():
            if not (key.endswith(suffix) and len(key) > len(suffix)):
                continue
            base = key[: -len(suffix)]
            try:
                canonical = self.canonical(base) + suffix
            except ValueError as e:
                raise UnknownNameError(
                    f"unknown {self.kind} {key!r} (a derived name '<{self.kind}>{suffix}' needs a registered base): {e}"
                ) from None
            if canonical in self._entries or canonical in self._aliases:  # e.g. an alias of the base
                return self.canonical(canonical)
            if canonical not in self._derived:
                self._derived[canonical] = make(canonical[: -len(suffix)])
            return canonical
        return None

    def canonical(self, name: str) -> str:
        """The canonical name for ``name``, one of its aliases or a derived name; unknown names raise."""
        key = normalize_name(name)
        if key in self._entries:
            return key
        if key in self._aliases:
            return self._aliases[key]
        derived = self._derive(key)
        if derived is not None:
            return derived
        choices = sorted(set(self._entries) | set(self._aliases))
        close = difflib.get_close_matches(key, choices, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        cli = " or `actlab list`" if self.kind == "activation" else ""
        raise UnknownNameError(f"unknown {self.kind} {name!r}{hint} (list them with actlab.list_{self.kind}s(){cli})")

    def get(self, name: str) -> T:
        key = self.canonical(name)
        return self._entries[key] if key in self._entries else self._derived[key]

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
        if key in self._entries or key in self._aliases:
            return True
        try:
            return self._derive(key) is not None
        except ValueError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
