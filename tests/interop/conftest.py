"""The interop suite: third-party models (torchvision, timm, transformers) through actlab's surgery.

Runs only in its own environment (``.ci/run`` builds it: torch 2.14.1, torchvision 0.29.1, timm,
transformers): ``python -m pytest -q tests/interop``. The main suite never collects this folder
(``--ignore=tests/interop`` in pyproject.toml); where a library is missing, the whole folder is
skipped here, before any test module imports it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

_NEEDED = ("torchvision", "timm", "transformers")
_MISSING = [name for name in _NEEDED if importlib.util.find_spec(name) is None]

sys.path.insert(0, str(Path(__file__).parent))  # for `import _models`
torch.set_num_threads(1)


def pytest_ignore_collect(collection_path, config):
    """Skips the whole folder when the interop libraries are absent (the main environment)."""
    return bool(_MISSING) or None


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield
