"""``train_one(cfg) -> RunResult``: one seeded training run, start to finish, no file I/O.

Readable top to bottom: load and standardize the data (held as tensors on the device), build
and initialize the model under the run's seed, then per epoch shuffle with a seeded generator,
train on batches, and evaluate. All randomness comes from ``cfg.seed``: the global RNG is
used only inside ``torch.random.fork_rng`` (so the caller's RNG state is restored), data order
and augmentation use their own ``torch.Generator``, Langevin noise its own seed. On CPU the same
config gives identical results.

Loss: cross-entropy (with ``label_smoothing``); a model with one output (``single_neuron``) is
a binary classifier trained with BCE-with-logits on the raw output, predicting class 1 when
the output is > 0 (the dataset must have 2 classes). Evaluation losses are unsmoothed.
Sequence tasks (int64 token ids, per-position targets, :mod:`actlab.data.sequences`) train a
token model (``gpt``) with next-token cross-entropy over the scored positions (targets other
than :data:`~actlab.data.IGNORE_INDEX`); accuracies count those positions.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import math
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..data import IGNORE_INDEX
from ..memory import forward_saved_bytes
from .config import TrainConfig
from .data_prep import Split, prepare_data
from .metrics import evaluate
from .optim import make_optimizer, make_schedule
from .reinit import LayerwiseReinit
from .result import EvalMetrics, RunResult

__all__ = ["train_one", "resolve_device", "derive_seed"]


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without a GPU raises."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but torch.cuda.is_available() is False; use device='cpu' or 'auto'")
    return torch.device(device)


def derive_seed(seed: int, *tags: Any) -> int:
    """A 63-bit seed derived from ``seed`` and tags, so that each random stream is independent."""
    h = hashlib.sha256(repr((seed, *tags)).encode()).digest()
    return int.from_bytes(h[:8], "little") >> 1


def train_one(
    cfg: TrainConfig,
    *,
    model: nn.Module | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """Trains one model as ``cfg`` says and reports the final and best-validation metrics.

    Args:
        cfg: the run's configuration.
        model: train this model instead of building ``cfg.model`` (fine-tuning); its output
            size must match the dataset's classes. It is trained in place and left in its final
            state; ``cfg.init`` is not applied to it.
        on_epoch: called after every epoch with ``{"epoch" (epochs completed, from 1), "epochs_total", "step",
            "steps_total", "generation", "train_loss", "test_acc"}`` (``test_acc`` is None on
            epochs without evaluation), e.g. to drive a progress bar.

    Returns:
        The :class:`RunResult`; ``diverged`` is set (and the run stopped) if the training loss
        became NaN or infinite.

    Raises:
        ValueError: CUDA-only options (``amp_bf16``, ``channels_last``) on a CPU device, a
            one-output model on a dataset with more than two classes, unknown names.
    """
    t_start = time.perf_counter()
    device = resolve_device(cfg.device)
    if device.type != "cuda" and (cfg.amp_bf16 or cfg.channels_last):
        raise ValueError(
            f"amp_bf16 and channels_last are CUDA-only but the run is on {device}; set them to False or use "
            "device='cuda'"
        )
    cuda_devices = [device.index or 0] if device.type == "cuda" else []
    if cuda_devices:
        torch.cuda.reset_peak_memory_stats(device)
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(derive_seed(cfg.seed, "global"))
        train, val, test = prepare_data(cfg, device, seed=derive_seed(cfg.seed, "split"))
        net = model if model is not None else _build_model(cfg, train)
        net.to(device)
        if cfg.channels_last:
            # torch's stubs lack Module.to(memory_format=...), which it accepts at runtime
            net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        binary = _check_outputs(net, train)
        run = _Run(cfg, net, train, val, test, binary, device, on_epoch)
        run.train_generations()
    if cuda_devices:
        torch.cuda.synchronize(device)
        peak, kind = int(torch.cuda.max_memory_allocated(device)), "cuda_max_allocated"
    else:
        peak, kind = _saved_bytes_per_sample(net, train, cfg.batch_size), "cpu_saved_bytes_per_sample"
    return RunResult(
        config=cfg.to_dict(),
        config_hash=cfg.config_hash(),
        test=run.final_test,
        best_val=run.best_val,
        test_at_best_val=run.test_at_best_val,
        best_val_epoch=run.best_val_epoch,
        curves=run.curves,
        act_params=run.act_rows,
        wall_time_s=time.perf_counter() - t_start,
        time_per_epoch_s=run.loop_time / max(run.epochs_run, 1e-12),
        peak_memory_bytes=peak,
        memory_kind=kind,
        diverged=run.diverged_step is not None,
        diverged_step=run.diverged_step,
        message=run.message,
        steps=run.step,
        epochs=run.epochs_run,
        n_params=sum(p.numel() for p in net.parameters() if p.requires_grad),
        device=str(device),
    )


def _build_model(cfg: TrainConfig, train: Split) -> nn.Module:
    """Builds ``cfg.model`` on CPU under the (forked, seeded) global RNG, then applies ``cfg.init``.

    ``in_chans`` is the data's channel count (the flattened feature count for models whose
    ``input_shape`` is flat; the vocabulary for token models); builders that take ``image_size``,
    ``length`` or ``context`` get the data's spatial size or sequence length unless
    ``model_kwargs`` sets it."""
    from ..init import init_model
    from ..models import create_model, model_info

    info = model_info(cfg.model)
    _check_model_fits_data(cfg, info.tokens, train)
    shape = train.x.shape[1:]
    in_chans = train.num_classes if info.tokens else math.prod(shape) if len(info.input_shape) == 1 else shape[0]
    kw = dict(cfg.model_kwargs)
    accepted = inspect.signature(info.builder).parameters
    if "image_size" in accepted and "image_size" not in kw and len(shape) == 3 and shape[1] == shape[2]:
        kw["image_size"] = shape[1]  # builders sized for 32x32 by default also take 28x28 data
    if "length" in accepted and "length" not in kw and len(shape) == 2:
        kw["length"] = shape[1]
    if info.tokens and "context" in accepted and "context" not in kw:
        kw["context"] = shape[0]
    net = create_model(cfg.model, num_classes=train.num_classes, in_chans=in_chans, act=cfg.act_spec, **kw)
    example = train.x[: min(len(train.x), 256)].cpu()
    gen = torch.Generator().manual_seed(derive_seed(cfg.seed, "init"))
    if cfg.init.startswith("autoinit"):  # data-free: a seeded N(0, 1) batch of the data's shape
        init_model(net, cfg.init, input_shape=tuple(example.shape[1:]))
    else:
        init_model(net, cfg.init, example, **({} if cfg.init == "default" else {"generator": gen}))
    return net


def _check_model_fits_data(cfg: TrainConfig, tokens: bool, train: Split) -> None:
    """Token models need a sequence task and the other models need float inputs; AutoInit has no
    rule for embeddings."""
    sequence = not train.x.is_floating_point()
    if tokens and not sequence:
        raise ValueError(
            f"model {cfg.model!r} reads token ids (a sequence task such as modular_add, associative_recall or sort), "
            f"but dataset {cfg.dataset!r} holds float inputs of shape {tuple(train.x.shape[1:])}; use a sequence "
            "dataset, or a model for float inputs (e.g. 'vit' for images, 'mlp')"
        )
    if sequence and not tokens:
        raise ValueError(
            f"dataset {cfg.dataset!r} is a sequence task (int64 token ids, per-position targets) but model "
            f"{cfg.model!r} takes float inputs; use a token model (model='gpt')"
        )
    if sequence and cfg.init.startswith("autoinit"):
        raise ValueError(
            f"init={cfg.init!r}: AutoInit has no rule for token embeddings; use init='default' (GPT-2's "
            "initialization), 'kaiming' or 'lecun' for a token model"
        )


def _saved_bytes_per_sample(net: nn.Module, train: Split, batch_size: int) -> int:
    """Bytes autograd saves for backward per sample in one training forward of a training batch.

    CPU has no allocator peak counter (and peak RSS only grows, so a second run in a process
    would read ~0); this figure is exact and the same for every run of a config. It runs one
    forward of the eager model (not ``torch.compile``'s) on the first ``batch_size`` training
    samples, unaugmented, and leaves the run untouched: no backward, buffers, mode and RNG
    restored (:func:`actlab.memory.forward_saved_bytes`). Parameters are not counted.
    """
    xb = train.x[:batch_size].clone()  # own storage: a view would be counted at the dataset's size
    return round(forward_saved_bytes(net, xb) / len(xb))


def _check_outputs(net: nn.Module, train: Split) -> bool:
    """True for a one-output (binary, BCE) model; raises when outputs and classes disagree."""
    with torch.no_grad():
        was = net.training
        net.eval()
        out = net(train.x[:2])
        net.train(was)
    if train.y.dim() > 1 and tuple(out.shape[:-1]) != tuple(train.y[:2].shape):
        raise ValueError(
            f"a sequence task needs logits (B, T, vocabulary) for its targets (B, T) = {tuple(train.y[:2].shape)}, "
            f"but the model returns {tuple(out.shape)}"
        )
    k = out.shape[-1] if out.dim() > 1 else 1
    if k == 1:
        if train.num_classes != 2:
            raise ValueError(f"a one-output model needs a 2-class dataset, got {train.num_classes} classes")
        return True
    if k != train.num_classes:
        raise ValueError(f"the model has {k} outputs but the dataset has {train.num_classes} classes")
    return False


def _loss(out: torch.Tensor, y: torch.Tensor, binary: bool, smoothing: float) -> torch.Tensor:
    if binary:
        target = y.to(out.dtype)
        if smoothing:
            target = target * (1 - smoothing) + 0.5 * smoothing
        return F.binary_cross_entropy_with_logits(out.reshape(-1), target)
    if y.dim() > 1:  # sequence task: next-token loss over the scored positions
        return F.cross_entropy(out.flatten(0, -2), y.flatten(), ignore_index=IGNORE_INDEX, label_smoothing=smoothing)
    return F.cross_entropy(out, y, label_smoothing=smoothing)


def _hits(out: torch.Tensor, y: torch.Tensor, binary: bool) -> tuple[torch.Tensor, torch.Tensor | int]:
    """Correct predictions and the number of scored targets (no device sync)."""
    pred = (out.reshape(-1) > 0).long() if binary else out.argmax(-1)
    if y.dim() > 1:
        scored = y != IGNORE_INDEX
        return ((pred == y) & scored).sum(), scored.sum()
    return (pred == y).sum(), len(y)


class _Run:
    """The state of one run; methods in the order they execute."""

    def __init__(self, cfg, net, train, val, test, binary, device, on_epoch) -> None:
        self.cfg, self.net, self.train, self.val, self.test = cfg, net, train, val, test
        self.binary, self.device, self.on_epoch = binary, device, on_epoch
        self.forward = torch.compile(net) if cfg.compile else net
        n = len(train.y)
        self.steps_per_epoch = math.ceil(n / cfg.batch_size)
        self.total_steps = cfg.steps if cfg.steps is not None else cfg.epochs * self.steps_per_epoch
        self.epochs_total = math.ceil(self.total_steps / self.steps_per_epoch)
        self.gen = torch.Generator(device=device).manual_seed(derive_seed(cfg.seed, "data"))
        self.curves: dict[str, list] = {
            k: [] for k in ("generation", "epoch", "step", "lr", "train_loss", "train_acc", "test_acc")
        }
        if val is not None:
            self.curves["val_acc"] = []
        self.act_rows: list[dict] = []
        self.step, self.epochs_run, self.loop_time = 0, 0.0, 0.0
        self.diverged_step: int | None = None
        self.message = ""
        self.best_val: EvalMetrics | None = None
        self.best_val_epoch: int | None = None
        self.best_state: dict | None = None
        self.test_at_best_val: EvalMetrics | None = None

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.cfg.amp_bf16:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def train_generations(self) -> None:
        G = max(1, self.cfg.reinit_generations)
        lw = LayerwiseReinit(self.net, G) if G > 1 else None
        for g in range(G):
            if lw is not None:
                lw.apply(g, seed=derive_seed(self.cfg.seed, "reinit", g))
            self.train_generation(g)
            if self.diverged_step is not None:
                break
        self.final_test = self.evaluate(self.test)
        if self.best_state is not None:
            final_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
            self.net.load_state_dict(self.best_state)
            self.test_at_best_val = self.evaluate(self.test)
            self.net.load_state_dict(final_state)

    def train_generation(self, g: int) -> None:
        cfg = self.cfg
        opt = make_optimizer(self.net, cfg, self.steps_per_epoch, seed=derive_seed(cfg.seed, "langevin", g))
        sched = make_schedule(opt, cfg, self.total_steps, self.steps_per_epoch)
        x, y, bs = self.train.x, self.train.y, cfg.batch_size
        g_step = 0
        for epoch in range(self.epochs_total):
            t0 = time.perf_counter()
            self.net.train()
            perm = torch.randperm(len(y), generator=self.gen, device=self.device)
            n_batches = min(self.steps_per_epoch, self.total_steps - g_step)
            losses = torch.zeros(n_batches, device=self.device)
            correct = torch.zeros((), dtype=torch.long, device=self.device)
            seen = torch.zeros((), dtype=torch.long, device=self.device)
            for b in range(n_batches):
                idx = perm[b * bs : (b + 1) * bs]
                xb, yb = self.train.augment(x[idx], self.gen), y[idx]
                with self.autocast():
                    out = self.forward(xb)
                    loss = _loss(out.float(), yb, self.binary, cfg.label_smoothing)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                losses[b] = loss.detach()
                hits, scored = _hits(out.detach(), yb, self.binary)
                correct += hits
                seen += scored
            g_step += n_batches
            self.step += n_batches
            self.epochs_run += n_batches / self.steps_per_epoch
            bad = ~torch.isfinite(losses)
            if bool(bad.any()):
                first = int(bad.nonzero()[0, 0])
                self.diverged_step = self.step - n_batches + first
                self.message = (
                    f"diverged: non-finite training loss at step {self.diverged_step} (generation {g}, "
                    f"epoch {epoch + 1}); the run was stopped. Try a smaller lr, warmup_steps, or a bounded activation."
                )
            last = epoch == self.epochs_total - 1 or self.diverged_step is not None
            evaluated = (epoch + 1) % cfg.eval_every == 0 or last
            test_acc = self.record(g, epoch, opt, losses, correct, seen) if evaluated else None
            self.loop_time += time.perf_counter() - t0
            if self.on_epoch is not None:
                self.on_epoch({"epoch": epoch + 1, "epochs_total": self.epochs_total, "step": g_step,
                               "steps_total": self.total_steps, "generation": g, "train_loss": float(losses.mean()),
                               "test_acc": test_acc})
            if self.diverged_step is not None:
                return

    def record(self, g: int, epoch: int, opt, losses, correct, seen) -> float:
        """Evaluates and appends one row of the curves; keeps the best-validation checkpoint."""
        te = self.evaluate(self.test)
        row = {"generation": g, "epoch": epoch + 1, "step": self.step, "lr": opt.param_groups[0]["lr"],
               "train_loss": float(losses.mean()), "train_acc": int(correct) / max(int(seen), 1), "test_acc": te.acc}
        if self.val is not None:
            va = self.evaluate(self.val)
            row["val_acc"] = va.acc
            if self.best_val is None or va.acc > self.best_val.acc:
                self.best_val, self.best_val_epoch = va, epoch + 1
                self.best_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        for k, v in row.items():
            self.curves[k].append(v)
        self.act_rows.append(_act_values(self.net))
        return te.acc

    def evaluate(self, split: Split) -> EvalMetrics:
        with self.autocast():
            return evaluate(self.forward, split.x, split.y, split.num_classes, self.binary, self.cfg.eval_batch_size)


def _act_values(net: nn.Module) -> dict[str, float]:
    """Current values of every activation's trainable parameters (per-channel ones as their mean)."""
    from ..activations import Activation

    out: dict[str, float] = {}
    for name, m in net.named_modules():
        if isinstance(m, Activation) and any(True for _ in m.parameters(recurse=False)):
            for pname, v in m.param_values().items():
                v = v.detach().float()
                if v.numel() == 1:
                    out[f"{name}.{pname}"] = float(v)
                else:
                    out[f"{name}.{pname}[mean]"] = float(v.mean())
    return out
