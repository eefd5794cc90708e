"""The claims report: one row per claim (paper, claim, paper's number, our setup, effect with its
95 % interval, verdict, what the original setting needs), then one section per study with its rule,
details, figure and provenance. Markdown (PNGs beside it) and one self-contained HTML page.

It reads only the results store (and the run log beside it): each study's runs are found by
their bench keys, so a run shared by two studies counts in both and the report is a view of the
studies' declarations.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..bench import ResultStore, RunRow
from ..bench._render import Figure, Section, Table, to_html, to_markdown
from . import plots
from .effects import Effect, compute_effect, run_metric
from .registry import PAPERS, get_studies
from .runner import data_available, read_runs_log
from .study import Study
from .verdict import decide

__all__ = ["StudyResult", "evaluate_study", "write_claims_report", "verdict_table"]


@dataclass(frozen=True)
class StudyResult:
    """A study's outcome: its effect (``None`` without runs), verdict, and the runs it used."""

    study: Study
    effect: Effect | None
    verdict: str
    expected: int
    rows: list[RunRow]
    failed: list[RunRow]

    @property
    def train_s(self) -> float:
        """Summed per-run training wall time of the study's runs (shared runs count in each study)."""
        return float(sum(r.end_time - r.start_time for r in self.rows + self.failed))


def evaluate_study(study: Study, by_key: dict[str, RunRow], quick: bool) -> StudyResult:
    """Collects the study's stored runs and computes its effect and verdict (rule from the study)."""
    cells = study.cells(quick)
    found = [(c, by_key[c.key]) for c in cells if c.key in by_key]
    ok = [(c, r) for c, r in found if r.status == "ok" and r.result is not None]
    failed = [r for _, r in found if r.status != "ok"]
    if study.needs_data is not None and not ok and not data_available(study.needs_data):
        return StudyResult(study, None, "needs data", len(cells), [], failed)
    if not ok:
        return StudyResult(study, None, "not run", len(cells), [], failed)
    st = study.statistic
    table: dict[tuple[str, str, int], float] = {}
    for c, r in ok:
        assert r.result is not None  # filtered above
        table[(c.task, c.method, c.seed)] = run_metric(r.result, st.metric)
        if st.metric_y:
            table[(c.task, c.method + "|y", c.seed)] = run_metric(r.result, st.metric_y)
    seeds, _ = study.budget(quick)
    eff = compute_effect(study, table, seeds, quick)
    if len(ok) < len(cells):
        eff.notes.append(f"{len(cells) - len(ok)} of {len(cells)} runs missing or failed")
    verdict = decide(eff.lo, eff.hi, study.rule) if eff.n >= 2 else "inconclusive"
    if eff.n < 2:
        eff.notes.append(f"only {eff.n} seed(s) with a value: no interval")
    return StudyResult(study, eff, verdict, len(cells), [r for _, r in ok], failed)


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "-"
    return f"{v:.3g}" if abs(v) < 0.01 and v != 0 else f"{v:.2f}"


def _effect_text(res: StudyResult) -> str:
    e = res.effect
    if e is None:
        return "-"
    unit = f" {res.study.rule.unit}" if res.study.rule.unit else ""
    return f"{_fmt(e.value)} [{_fmt(e.lo)}, {_fmt(e.hi)}]{unit} (n={e.n}, {e.interval})"


def verdict_table(results: Sequence[StudyResult]) -> Table:
    """The one-row-per-claim table."""
    rows = [[f"{r.study.paper}. {PAPERS[r.study.paper]}", r.study.name, r.study.claim, r.study.paper_number,
             r.study.setup, r.study.effect, _effect_text(r), r.verdict, r.study.original] for r in results]
    return Table(["paper", "study", "claim", "paper's number", "our setup", "effect", "effect [95% CI]", "verdict",
                  "the original setting needs"], rows)


def _group_hash(config: dict) -> str:
    c = {k: v for k, v in config.items() if k != "seed"}
    if "train" in c:
        c["train"] = {k: v for k, v in c["train"].items() if k != "seed"}
    return hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest()[:12]


def _prov_text(rows: Sequence[RunRow]) -> str:
    commits = sorted({(r.git_commit or "none")[:12] for r in rows})
    versions = sorted({" ".join(f"{k}={v}" for k, v in sorted(r.versions.items())) for r in rows})
    devices = sorted({str(r.device) for r in rows})
    configs = sorted({_group_hash(r.config) for r in rows})
    return (f"{len(rows)} runs; config hashes (without seed) {', '.join(configs)}; commit {', '.join(commits)}; "
            f"{'; '.join(versions)}; device {', '.join(devices)}")


def _study_section(res: StudyResult, quick: bool) -> Section:
    s = res.study
    seeds, recipe = s.budget(quick)
    text = [f"Paper: {s.paper}. {PAPERS[s.paper]}. Claim: {s.claim} Paper's number: {s.paper_number}.",
            f"Our setup: {s.setup}. Seeds {list(seeds)}"
            + (f" (quick budget: {json.dumps(s.quick_recipe)})." if quick else "."),
            f"Proxy: {s.proxy}. The original setting needs: {s.original}.",
            f"Effect: {s.effect}. Rule (fixed before running): {s.rule.text()}.",
            f"Result: {_effect_text(res)} -> {res.verdict}."]
    items: list[Table | Figure] = []
    e = res.effect
    if e is not None:
        if e.boot is not None and e.boot.n >= 2:
            text.append(f"Bootstrap 95% interval of the per-seed values (actlab.bench.stats.mean_ci, seed 0): "
                        f"[{_fmt(e.boot.lo)}, {_fmt(e.boot.hi)}].")
        if e.per_seed:
            text.append("Per seed: " + ", ".join(f"{k}: {_fmt(v)}" for k, v in sorted(e.per_seed.items())) + ".")
        text += [f"Note: {n}." for n in e.notes]
        if s.statistic.kind == "correlation":
            header = ["architecture", f"mean {s.statistic.metric}", f"mean {s.statistic.metric_y}", "seeds"]
            items.append(Table(header,
                               [[d[0].split(":")[0], _fmt(d[1]), _fmt(d[2]), str(d[4])] for d in e.detail]))
        elif s.statistic.kind == "rank_stability":
            if e.cd is not None:
                from ..bench.plots import cd_diagram

                text.append(f"Average ranks over {e.detail[0][4] if e.detail else 0} (task, seed) blocks; Friedman "
                            f"(Iman-Davenport) p = {e.friedman_p:.3g}; Nemenyi CD = {e.cd:.2f}.")
                cd_png = cd_diagram(e.ranks, e.cd)
                items.append(Figure(f"claims_{s.name}_cd.png", cd_png, "critical-difference diagram"))
            items.append(Table(["activation", "average rank"], [[d[0], f"{d[1]:.2f}"] for d in e.detail]))
        elif e.detail:
            items.append(Table(["comparison", "mean", "95% CI", "n"],
                               [[d[0], _fmt(d[1]), f"[{_fmt(d[2])}, {_fmt(d[3])}]", str(d[4])] for d in e.detail]))
            ref = s.rule.ref if s.statistic.kind in ("fraction",) or not s.statistic.b[0] else 0.0
            items.append(Figure(f"claims_{s.name}.png", plots.detail_figure(e.detail, s.effect, ref, s.name),
                                f"{s.name}: mean and 95% interval per comparison"))
    if res.rows:
        text.append(f"Provenance: {_prov_text(res.rows)}; summed run time {res.train_s:.1f} s.")
    if res.failed:
        errors = [[r.task, r.method, str(r.seed), (r.error or "").splitlines()[0][:160]] for r in res.failed]
        items.append(Table(["task", "method", "seed", "error"], errors))
    # one paragraph per line in Markdown (the renderer joins consecutive lines into one paragraph)
    return Section(f"{s.name} (paper {s.paper})", [t + "\n" for t in text], items)


def _oriented(res: StudyResult) -> tuple[float, float, float]:
    e, r = res.effect, res.study.rule
    if e is None:
        return math.nan, math.nan, math.nan
    lo, hi = sorted((r.direction * (e.lo - r.ref), r.direction * (e.hi - r.ref)))
    return r.direction * (e.value - r.ref), lo, hi


def write_claims_report(
    db: str | Path, out_dir: str | Path, *, quick: bool = False, studies: Sequence[Study] | None = None
) -> tuple[Path, Path, list[StudyResult]]:
    """Writes ``claims_report.md`` (with PNGs) and ``claims_report.html`` into ``out_dir``.

    Args:
        db: the results database of :func:`actlab.claims.run_claims`.
        out_dir: the report folder (created).
        quick: report the ``--quick`` runs (else the full ones).
        studies: the studies to report (default: the whole registry).

    Raises:
        FileNotFoundError: no database at ``db``.
    """
    if not Path(db).is_file():
        raise FileNotFoundError(f"no results database at {str(db)!r}; run `actlab claims run --db {db}` first")
    with ResultStore(db) as store:
        by_key = {r.key: r for r in store.rows(status=None)}
    results = [evaluate_study(s, by_key, quick) for s in (get_studies() if studies is None else studies)]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log = [e for e in read_runs_log(db) if e.get("quick") == quick]
    counts: dict[str, int] = {}
    for r in results:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    used = {r.key: r for res in results for r in res.rows}
    train_s = sum(r.end_time - r.start_time for r in used.values())
    mode = ("QUICK budget (fewer seeds and epochs than the full studies; each study's quick recipe is in its "
            "section): a smoke test, not the evidence") if quick else "full budget"
    intro = [f"{len(results)} claim studies over {len({r.study.paper for r in results})} seed papers, {mode}. "
             f"Verdicts: {', '.join(f'{v} {n}' for v, n in sorted(counts.items()))}.",
             f"{len(used)} distinct finished runs; summed per-run train time {train_s / 60:.1f} min. " + (
                 "Run wall times: " + "; ".join(f"{e['wall_s'] / 60:.1f} min ({e['ok']} trained, {e['skipped']} "
                                                f"resumed, {e['failed']} failed, backend {e['backend']}, commit "
                                                f"{(e.get('git_commit') or 'none')[:12]})" for e in log) + "."
                 if log else "No run log beside the database (wall time unknown)."),
             "Intervals: Student's t over seeds of the per-seed paired statistic (seeds share data order and "
             "initialisation), Wilson for fractions, Fisher z for correlations. The rule of each study was fixed "
             "in its declaration (actlab.claims) before running. A claim that does not hold at our scale is a "
             "finding about that scale, not about the paper's setting.",
             f"Database: {Path(db).resolve()}. Written {time.strftime('%Y-%m-%d %H:%M:%S %Z')}."]
    sections = [Section("Verdicts", [], [verdict_table(results),
                                         Figure("claims_overview.png",
                                                plots.verdict_figure([r.study.name for r in results],
                                                                     [_oriented(r) for r in results],
                                                                     [r.verdict for r in results]),
                                                "each study's interval in the claim's direction (scaled)")])]
    sections += [_study_section(r, quick) for r in results]
    for s in sections:
        for it in s.items:
            if isinstance(it, Figure):
                (out / it.name).write_bytes(it.png)
    title = f"actlab claims report ({'quick' if quick else 'full'})"
    md, page = out / "claims_report.md", out / "claims_report.html"
    md.write_text(to_markdown(title, intro, sections))
    page.write_text(to_html(title, intro, sections))
    return md, page, results
