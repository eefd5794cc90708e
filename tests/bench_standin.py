"""Stand-in train functions for the bench tests (importable by spawned workers and subprocesses)."""

import os
import time


def fake_train(config: dict) -> dict:
    """A deterministic fake RunResult; raises for the activation named ``boom``."""
    time.sleep(float(os.environ.get("ACTLAB_TEST_SLEEP", "0")))
    if config["act"] == "boom":
        raise RuntimeError("boom activation exploded")
    acc = 0.5 + 0.1 * (len(config["act"]) % 4) + 0.01 * config["seed"] + (0.05 if config["dataset"] == "digits" else 0.0)
    return {
        "final_test_acc": acc,
        "curves": {"train_loss": [1.0, 0.5], "test_acc": [acc - 0.1, acc]},
        "time_per_epoch": 0.1 * (1 + len(config["act"])),
        "peak_memory": 1000.0 * (1 + len(config["act"])),
        "wall_time": 0.2,
        "diverged": False,
        "device": "cpu",
    }
