"""``actlab report DB -o DIR``: the benchmark's results as Markdown and a self-contained HTML page.

The report reads only the results store. Its numbers are the *final* test accuracy of each run,
aggregated over seeds: means with seeded, stratified bootstrap 95% intervals and their n (cells with
n = 1 are marked with a dagger), average ranks, the Friedman test, Holm-corrected pairwise Wilcoxon
tests and the Nemenyi critical difference. Every number carries its provenance (config hash,
seeds, git commit, library versions, device).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from . import plots, stats
from ._render import Figure, Section, Table, to_html, to_markdown, to_text
from .analysis import BenchData, Ranking, collect, match_baselines, rank_methods, run_result
from .curves import activation_curves
from .store import ResultStore, RunRow
from .views import ReportError, select_rows

__all__ = ["BenchData", "Ranking", "collect", "rank_methods", "ranked_table", "ranked_table_text", "write_report"]

DAGGER = "†"


def _fmt(iv: stats.Interval, pct: bool = True) -> tuple[str, str, str]:
    if iv.n == 0:
        return "-", "-", "0"
    s = 100.0 if pct else 1.0
    mark = f" {DAGGER}" if iv.n == 1 else ""
    return f"{s * iv.mean:.2f}{mark}", f"[{s * iv.lo:.2f}, {s * iv.hi:.2f}]", str(iv.n)


def ranked_table(data: BenchData, ranking: Ranking) -> Table:
    """Method, average rank, mean final test accuracy (%), its 95% interval, n, min n per task, diverged runs."""
    rows = []
    for i, m in enumerate(ranking.methods, 1):
        mean, ci, n = _fmt(ranking.overall[m])
        min_n = min((ranking.per_task[t][m].n for t in data.tasks), default=0)
        diverged = sum(bool(run_result(r).get("diverged")) for r in data.rows if r.method == m)
        min_n_cell = f"{min_n}{' ' + DAGGER if min_n == 1 else ''}"
        rows.append([str(i), m, f"{ranking.avg_rank[m]:.2f}", mean, ci, n, min_n_cell, str(diverged)])
    return Table(["#", "method", "avg rank", "test acc %", "95% CI", "n", "min n/task", "diverged"], rows)


def _params(rows: Sequence[RunRow]) -> str:
    """Trainable parameter count of a cell's runs (``RunResult.n_params``): one number, or the range
    when the runs differ; ``-`` when none recorded it."""
    counts = sorted({int(r.result["n_params"]) for r in rows if r.result and r.result.get("n_params")})
    if not counts:
        return "-"
    return f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,}-{counts[-1]:,}"


def _per_task_tables(data: BenchData, ranking: Ranking) -> list[Table]:
    """Per task: methods by mean test accuracy, with the interval, n and the model's parameter count
    (which shows that gated and dense MLPs were matched)."""
    out = []
    for t in data.tasks:
        cells = ranking.per_task[t]
        order = sorted(data.methods, key=lambda m: -np.nan_to_num(cells[m].mean, nan=-1))
        out.append(Table([f"{t}: method", "test acc %", "95% CI", "n", "params"],
                         [[m, *_fmt(cells[m]), _params(data.cell_rows(t, m))] for m in order]))
    return out


def _group_hash(config: dict) -> str:
    """Hash of a run's config without its seed: one id for all seeds of a cell."""
    c = {k: v for k, v in config.items() if k != "seed"}
    return hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest()[:12]


def _provenance(data: BenchData) -> Table:
    rows = []
    for t in data.tasks:
        for m in data.methods:
            rs = data.cell_rows(t, m)
            if not rs:
                continue
            rows.append([t, m, ",".join(sorted({_group_hash(r.config) for r in rs})),
                         ",".join(str(r.seed) for r in sorted(rs, key=lambda r: r.seed)),
                         ",".join(sorted({(r.git_commit or "none")[:12] for r in rs})),
                         ",".join(sorted({" ".join(f"{k}={v}" for k, v in sorted(r.versions.items())) for r in rs})),
                         ",".join(sorted({str(r.device) for r in rs}))])
    return Table(["task", "method", "config hash", "seeds", "commit", "versions", "device"], rows)


# What RunResult.memory_kind means, as (column header, bytes per display unit, sentence).
_MEMORY_KINDS = {
    "cpu_saved_bytes_per_sample": ("saved for backward KiB/sample (CPU)", 2**10,
                                   "on CPU, the exact bytes autograd saves for backward per sample in one training "
                                   "forward (activation memory, parameters excluded)"),
    "cuda_max_allocated": ("peak allocated MiB (CUDA)", 2**20,
                           "on CUDA, the peak bytes allocated during the run (torch.cuda.max_memory_allocated: "
                           "weights, optimizer state, data, activations)"),
    "cpu_maxrss_delta": ("peak RSS growth MiB (CPU, older runs)", 2**20,
                         "'cpu_maxrss_delta' (older runs): growth of the process's peak RSS, ~0 for every run after "
                         "the first in a process; not a per-run figure"),
}


def _memory_kind(kind: str) -> tuple[str, int, str]:
    if kind in _MEMORY_KINDS:
        return _MEMORY_KINDS[kind]
    shown = repr(kind or "unrecorded")
    return f"memory MiB (kind {shown})", 2**20, f"of kind {shown}, as the runs recorded it"


def _cost(data: BenchData, ranking: Ranking, baseline: str = "relu") -> tuple[Table, list[str]]:
    """Mean time per epoch and memory per method, and sentences saying what the memory figures are.

    Ratios to the baseline are geometric means over tasks; each cell's baseline is the
    ``baseline`` run under the same config otherwise (:func:`match_baselines`: same init,
    optimizer, recipe), so ratios stay defined when inits or optimizers vary. Memory figures of different kinds
    (``RunResult.memory_kind``) never share a column: each kind present gets its own pair of
    columns, averaged and compared over the runs of that kind only.
    """
    def mean_of(t: str, m: str, key: str, kind: str | None = None) -> float:
        v = [float(run_result(r).get(key) or 0.0) for r in data.cell_rows(t, m)
             if kind is None or str(run_result(r).get("memory_kind", "")) == kind]
        return float(np.mean(v)) if v else float("nan")

    def ratio(m: str, vals: list[float], key: str, kind: str | None) -> str:
        pairs = [(v, mean_of(t, bases[(t, m)], key, kind)) for t, v in zip(data.tasks, vals, strict=True)
                 if (t, m) in bases]
        r = [v / b for v, b in pairs if b > 0 and v > 0]
        return f"{math.exp(np.mean(np.log(r))):.2f}x" if r else "n/a"

    bases = match_baselines(data, baseline)
    kinds = sorted({str(run_result(r).get("memory_kind", "")) for r in data.rows}) or [""]
    header = ["method", "time/epoch s", f"vs {baseline}"]
    for kind in kinds:
        header += [_memory_kind(kind)[0], f"vs {baseline}"]
    rows = []
    for m in ranking.methods:
        times = [mean_of(t, m, "time_per_epoch_s") for t in data.tasks]
        cells = [f"{np.nanmean(times):.3f}", ratio(m, times, "time_per_epoch_s", None)]
        for kind in kinds:
            mem = [mean_of(t, m, "peak_memory_bytes", kind) for t in data.tasks]
            shown = np.nanmean(mem) / _memory_kind(kind)[1] if np.isfinite(mem).any() else float("nan")
            cells += [f"{shown:.2f}" if math.isfinite(shown) else "-", ratio(m, mem, "peak_memory_bytes", kind)]
        rows.append([m, *cells])
    notes = [f"Memory {_memory_kind(k)[2]}." for k in kinds]
    if len(kinds) > 1:
        notes.append(f"The runs recorded {len(kinds)} different memory kinds ({', '.join(repr(k) for k in kinds)}), "
                     "which do not compare: each has its own columns, and '-' marks a method with no run of that kind.")
    return Table(header, rows), notes


def _training_curves(data: BenchData, key: str) -> dict[str, dict[str, tuple[list[float], list[float]]]]:
    out: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    for t in data.tasks:
        for m in data.methods:
            series = [run_result(r).get("curves", {}).get(key) for r in data.cell_rows(t, m)]
            series = [[float(v) for v in s] for s in series if s]
            if not series:
                continue
            n = min(map(len, series))
            epochs = run_result(data.cell_rows(t, m)[0]).get("curves", {}).get("epoch") or list(range(1, n + 1))
            out.setdefault(t, {})[m] = ([float(e) for e in epochs[:n]], list(np.mean([s[:n] for s in series], axis=0)))
    return out


def write_report(
    db: str | Path,
    out_dir: str | Path,
    bench: str | None = None,
    seed: int = 0,
    blocks: str = "task_seed",
    *,
    keys: Collection[str] | None = None,
    version: str | None = None,
    all_versions: bool = False,
    baseline: str = "relu",
) -> tuple[Path, Path, Ranking, BenchData]:
    """Writes ``report.md`` (with its PNGs) and a self-contained ``report.html`` into ``out_dir``.

    The report is a view of one grid (:func:`actlab.bench.views.select_rows`): with ``keys``
    exactly those cells, otherwise the runs of one bench and one actlab version. What it left
    out is said in ``data.notes`` and in the report's introduction. The database is opened
    read-only and never modified.

    Args:
        db: the results database written by ``actlab bench``.
        out_dir: output folder (created).
        bench: only runs of this benchmark name (default: the bench of the newest run).
        seed: bootstrap seed. blocks: see :func:`rank_methods`.
        keys: the cell keys of the grid to report (``[c.key for c in cfg.cells()]``).
        version / all_versions: without ``keys``, the actlab version whose runs are reported
            (default: that of the newest run), or every version mixed.
        baseline: the activation the cost ratios and the pairwise tests compare with, matched
            on each run's config (:func:`match_baselines`).

    Returns:
        ``(markdown path, html path, ranking, data)``.

    Raises:
        StoreError: missing, foreign or unreadable database. ReportError: the view has no runs.
    """
    if not Path(db).is_file():
        raise FileNotFoundError(f"no results database at {str(db)!r}; run `actlab bench --db {db}` first")
    with ResultStore(db, readonly=True) as store:
        stored = store.rows(status=None)
        bad = list(store.bad_rows)
    if bench is not None and keys is None:
        stored = [r for r in stored if r.bench == bench]
    view = select_rows(stored, keys=keys, bench=bench, version=version, all_versions=all_versions, db=str(db))
    all_rows = view.rows
    notes = [*view.notes, *(f"unreadable row skipped: {b}" for b in bad)]
    if not all_rows:
        what = ("no runs of this grid yet; run `actlab bench` with the same arguments" if keys is not None else
                f"no runs{f' of bench {bench!r}' if bench else ''}{f' of actlab {version}' if version else ''}")
        raise ReportError(f"the database {str(db)!r} has {what}" + (f" ({' '.join(notes)})" if notes else ""))
    data = collect(all_rows, notes)
    failed = [r for r in all_rows if r.status == "failed"]
    ranking = rank_methods(data, seed=seed, blocks=blocks)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    sections = [Section("Ranking", [
        f"Final-epoch test accuracy, mean over tasks of the mean over seeds, with a stratified bootstrap 95% "
        f"interval (seed {seed}) and the number of runs n. {DAGGER} marks a cell with n = 1 (no interval). Average "
        f"ranks are over {ranking.n_blocks} blocks ({'task x seed' if blocks == 'task_seed' else 'task'}) where every "
        f"method finished."],
        [ranked_table(data, ranking)])]
    tests = Section("Statistical tests")
    if ranking.friedman is not None:
        f = ranking.friedman
        tests.text.append(f"Friedman: chi2 = {f.chi2:.3f} (p = {f.p_chi2:.3g}); "
                          f"Iman-Davenport F = {f.f:.3f} (p = {f.p_f:.3g}); k = {f.n_methods} methods, "
                          f"N = {f.n_blocks} blocks. Nemenyi critical difference (alpha = 0.05): {ranking.cd:.3f}.")
        if ranking.excluded:
            tests.text.append(f"Left out of the rank tests for missing runs: {', '.join(ranking.excluded)}.")
        ranked = {m: r for m, r in ranking.avg_rank.items() if math.isfinite(r)}
        # rank_methods sets cd whenever it sets friedman (and the sentence above formatted it).
        assert ranking.cd is not None, "a Ranking with a Friedman test needs its Nemenyi critical difference"
        tests.items.append(Figure("cd_diagram.png", plots.cd_diagram(ranked, ranking.cd),
                                  "Critical-difference diagram: methods joined by a bar are not significantly "
                                  "different (Nemenyi, alpha = 0.05)."))
        best = ranking.methods[0]
        matched = {frozenset((m, b)) for (_, m), b in match_baselines(data, baseline).items() if m != b}
        pairs = [p for p in ranking.pairwise if best in (p.a, p.b) or frozenset((p.a, p.b)) in matched]
        tests.text.append(f"Pairwise Wilcoxon signed-rank tests over the blocks, Holm-corrected over all "
                          f"{len(ranking.pairwise)} pairs; shown: pairs with the best method ({best}) and each "
                          f"method with its {baseline} baseline (same init, optimizer and recipe).")
        tests.items.append(Table(["a", "b", "R+ (a better)", "R-", "p", "p (Holm)"],
                                 [[p.a, p.b, f"{p.r_plus:.1f}", f"{p.r_minus:.1f}", f"{p.p:.3g}", f"{p.p_holm:.3g}"]
                                  for p in pairs]))
    else:
        tests.text.append("Not enough complete blocks (need >= 2 with every method finished) for the rank tests.")
    sections.append(tests)
    params_note = ("params: trainable parameters of the task's model with that activation (gated units get a "
                   "narrower MLP so that the counts match).")
    # list(...): a list of Table | Figure, the type of Section.items (a list[Table] is not one).
    sections.append(Section("Per-task results", [params_note], list(_per_task_tables(data, ranking))))
    curves = activation_curves(data)
    if curves:
        sections.append(Section("Activations compared", ["Function and derivative at the initial parameter values."],
                                [Figure("activations.png", plots.activation_curves_figure(curves),
                                        "f(x) and f'(x) on [-4, 4]")]))
    tc = Section("Training curves", ["Mean over seeds per epoch."])
    for key, label in (("test_acc", "test accuracy"), ("train_loss", "training loss")):
        c = _training_curves(data, key)
        if c:
            tc.items.append(Figure(f"curves_{key}.png", plots.training_curves_figure(c, label), label))
    sections.append(tc)
    cost, memory_notes = _cost(data, ranking, baseline)
    sections.append(Section("Cost", ["Time per epoch (training + evaluation) and memory, means over runs; ratios to "
                                     f"the {baseline} run of the same config are geometric means over tasks.",
                                     *memory_notes], [cost]))
    sections.append(Section("Provenance", ["config hash: sha256 of the run config without its seed (first 12 hex "
                                           "digits)."], [_provenance(data)]))
    if failed:
        errors = [[r.task, r.method, str(r.seed), (r.error or "").splitlines()[0][:160]] for r in failed]
        sections.append(Section("Failed runs", [], [Table(["task", "method", "seed", "error"], errors)]))

    names = sorted({r.bench for r in all_rows})
    title = f"actlab benchmark report: {', '.join(names)}"
    superseded = sum(r.status == "ok" for r in all_rows) - len(data.rows)
    older = f" ({superseded} older runs of the same grid points superseded)" if superseded else ""
    intro = [f"{len(data.rows)} finished runs{older}, {len(failed)} failed; {len(data.tasks)} tasks, "
             f"{len(data.methods)} methods, seeds {data.seeds}. "
             f"Database: {Path(db).resolve()}. Written {time.strftime('%Y-%m-%d %H:%M:%S %Z')}.", *notes]
    for s in sections:
        for it in s.items:
            if isinstance(it, Figure):
                (out / it.name).write_bytes(it.png)
    md, page = out / "report.md", out / "report.html"
    md.write_text(to_markdown(title, intro, sections))
    page.write_text(to_html(title, intro, sections))
    return md, page, ranking, data


def ranked_table_text(data: BenchData, ranking: Ranking) -> str:
    """The ranked table as fixed-width text (printed at the end of ``actlab bench``)."""
    return to_text(ranked_table(data, ranking))
