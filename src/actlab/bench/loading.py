"""Loading benchmark configs: shipped presets, TOML files and ``--set key=value`` overrides."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from .config import BenchConfig, BenchConfigError, _closest

__all__ = ["apply_overrides", "list_presets", "load_bench_config"]


def list_presets() -> list[str]:
    """Names of the presets shipped with actlab (``quick``, ``standard``, ``survey``)."""
    folder = resources.files("actlab.bench") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_bench_config(
    preset: str | None = None, path: str | Path | None = None, overrides: Sequence[str] = (), check_names: bool = True
) -> BenchConfig:
    """Reads a preset or a TOML file, applies ``key=value`` overrides and validates.

    Args:
        preset: a shipped preset name (default ``"quick"`` when ``path`` is not given).
        path: a TOML file; excludes ``preset``.
        overrides: ``"recipe.epochs=3"``, ``"grid.seeds=[0,1]"``: dotted key, TOML value (bare
            words are strings).
        check_names: check registry names (see :meth:`BenchConfig.from_dict`).
    """
    if preset and path:
        raise BenchConfigError("give either a preset or a config file, not both")
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"benchmark config file {str(p)!r} does not exist")
        text, source = p.read_text(), str(p)
    else:
        preset = preset or "quick"
        if preset not in list_presets():
            raise BenchConfigError(
                f"unknown preset {preset!r}{_closest(preset, list_presets())}; presets: {list_presets()}"
            )
        text = (resources.files("actlab.bench") / "presets" / f"{preset}.toml").read_text()
        source = f"preset {preset!r}"
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BenchConfigError(f"{source} is not valid TOML: {e}") from e
    return BenchConfig.from_dict(apply_overrides(d, overrides), check_names=check_names)


def apply_overrides(d: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A deep copy of ``d`` with each ``dotted.key=value`` set (value parsed as TOML if possible)."""
    out = json.loads(json.dumps(d))
    for item in overrides:
        if "=" not in item:
            raise BenchConfigError(f"--set {item!r}: expected key=value, e.g. recipe.epochs=3 or grid.seeds=[0,1,2]")
        key, raw = (s.strip() for s in item.split("=", 1))
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # a bare word such as cuda or mnist1d
        *parents, leaf = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise BenchConfigError(f"--set {item!r}: {p!r} is not a table")
        node[leaf] = value
    return out
