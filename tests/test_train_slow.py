"""Long and GPU-only training checks (excluded from the default run: -m slow / -m gpu)."""

from __future__ import annotations

import pytest
import torch

from actlab.train import TrainConfig, train_one

pytestmark = pytest.mark.usefixtures("one_thread")


def _xor(act: str, seed: int) -> float:
    cfg = TrainConfig(dataset="xor", model="single_neuron", act=act, optimizer="adam", lr=0.05, batch_size=4,
                      epochs=None, steps=1000, normalize=False, eval_every=10**6, seed=seed, device="cpu")
    return train_one(cfg).test_acc


@pytest.mark.slow
@pytest.mark.parametrize("act, solvable", [("ada", True), ("gcu", True), ("squ", True), ("ncu", True), ("ssu", True),
                                           ("dsu", True), ("relu", False), ("sigmoid", False)])
def test_single_neuron_xor_table(act, solvable):
    """Noel et al. / Georgescu et al.: one neuron learns XOR with these units for most seeds;
    with a monotone unit its decision set is a half-plane, so it never can."""
    solved = sum(_xor(act, s) == 1.0 for s in range(5))
    if solvable:
        assert solved >= 3, f"{act}: {solved}/5 seeds"
    else:
        assert solved == 0, f"{act}: {solved}/5 seeds"


@pytest.mark.slow
def test_compile_matches_eager_on_cpu():
    cfg = TrainConfig(dataset="digits", model="mlp", model_kwargs={"width": 16}, epochs=1, device="cpu")
    eager, compiled = train_one(cfg), train_one(cfg.replace(compile=True))
    assert compiled.test_acc == pytest.approx(eager.test_acc, abs=0.02)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_bf16_channels_last_run():
    cfg = TrainConfig(dataset="mnist5k", model="lenet5", epochs=2, device="cuda", amp_bf16=True, channels_last=True,
                      augment="crop_flip", crop_padding=2)
    r = train_one(cfg)
    assert r.device.startswith("cuda") and r.memory_kind == "cuda_max_allocated" and r.peak_memory_bytes > 0
    assert r.test_acc > 0.8 and not r.diverged
