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


def cuda_available() -> bool:
    return torch.cuda.is_available()
