"""Shared test configuration: deterministic CPU runs, small thread pools."""

from __future__ import annotations

import os

import pytest
import torch

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(autouse=True)
def _seed_everything():
    """Tests seed globally (library code never does)."""
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="module")
def one_thread():
    """Tiny runs are much faster on one intra-op thread than on two contending ones (shared
    2-core machine); the previous setting is restored afterwards. Use per module with
    ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def cuda_available() -> bool:
    return torch.cuda.is_available()
