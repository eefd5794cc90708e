"""Stand-in train functions for the bench tests (importable by spawned workers and subprocesses)."""

import os
import time


def fake_train(config: dict) -> dict:
    """A deterministic fake RunResult; raises for the activation named ``boom``."""
    time.sleep(float(os.environ.get("ACTLAB_TEST_SLEEP", "0")))
    if config["act"] == "boom":
        raise RuntimeError("boom activation exploded")
    acc = (
        0.5 + 0.1 * (len(config["act"]) % 4) + 0.01 * config["seed"] + (0.05 if config["dataset"] == "digits" else 0.0)
    )
    curve = [acc - 0.2, acc - 0.05, acc]
    return {
        "test": {"acc": acc, "loss": 1.0 - acc, "recall": [], "f1": [], "n": 100},
        "curves": {"epoch": [1, 2, 3], "train_loss": [1.0, 0.6, 0.5], "test_acc": curve},
        "time_per_epoch_s": 0.1 * (1 + len(config["act"])),
        "peak_memory_bytes": 2**20 * (1 + len(config["act"])),
        "memory_kind": "fake",
        "wall_time_s": 0.2,
        "diverged": False,
        "device": "cpu",
    }
