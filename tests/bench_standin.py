"""Stand-in train functions for the bench tests (importable by spawned workers and subprocesses)."""

import json
import os
import signal
import time


def fake_train(config: dict) -> dict:
    """A deterministic fake RunResult (its accuracy grows a little with ``epochs``); faults by activation name:
    ``boom`` raises (a config error), ``oom`` raises MemoryError (an infrastructure error), ``crash``
    SIGKILLs its own process (a dying worker) unless ``ACTLAB_TEST_CRASH_OFF`` is set.

    ``ACTLAB_TEST_SLEEP`` seconds of sleep per run; ``ACTLAB_TEST_LOG``: a file to which each call
    appends one JSON line ``[pid, dataset, act, seed, epochs]`` (who trained what).
    """
    if os.environ.get("ACTLAB_TEST_LOG"):
        with open(os.environ["ACTLAB_TEST_LOG"], "a") as f:
            f.write(json.dumps([os.getpid(), config["dataset"], config["act"], config["seed"],
                                config.get("epochs")]) + "\n")
    time.sleep(float(os.environ.get("ACTLAB_TEST_SLEEP", "0")))
    if config["act"] == "boom":
        raise RuntimeError("boom activation exploded")
    if config["act"] == "oom":
        raise MemoryError("fake: out of host memory")
    if config["act"] == "crash" and not os.environ.get("ACTLAB_TEST_CRASH_OFF"):
        os.kill(os.getpid(), signal.SIGKILL)
    acc = (
        0.5 + 0.1 * (len(config["act"]) % 4) + 0.01 * config["seed"] + (0.05 if config["dataset"] == "digits" else 0.0)
        + 0.002 * min(int(config.get("epochs") or 0), 10)
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
