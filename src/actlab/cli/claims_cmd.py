"""``actlab claims list | run [NAMES] [--quick] | report``: the seed papers' claims, tested."""

from __future__ import annotations

import argparse
import sys

DEFAULT_DB = "actlab_results/claims.db"
DEFAULT_OUT = "actlab_results/claims"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("claims", help="test every seed paper's claim with statistics (list, run, report)",
                       description="A registry of claim studies, one or more per seed paper, run through the "
                                   "benchmark machinery and reported with effects, 95%% intervals and verdicts.")
    cmds = p.add_subparsers(dest="claims_command", metavar="{list,run,report}")
    ls = cmds.add_parser("list", help="the studies, their papers and rules")
    ls.add_argument("--verbose", "-v", action="store_true", help="also the claim, setup and rule of each study")
    ls.set_defaults(func=_list)
    run = cmds.add_parser("run", help="train the studies' unfinished runs, then write the report")
    run.add_argument("names", nargs="*", help="studies to run (default: all)")
    for q in (run,):
        q.add_argument("--quick", action="store_true", help="the reduced budget (fewer seeds/epochs; <= 5 min)")
        q.add_argument("--db", default=DEFAULT_DB, help=f"results database (default {DEFAULT_DB})")
        q.add_argument("--out", default=DEFAULT_OUT, help=f"report folder (default {DEFAULT_OUT})")
    run.add_argument("--backend", choices=("local", "ray"), default="local", help="local processes or Ray")
    run.add_argument("--workers", type=int, default=0, help="local worker processes (0 = one per core)")
    run.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray instance)")
    run.add_argument("--retry-failed", action="store_true", help="re-run cells stored as failed")
    run.add_argument("--no-report", action="store_true", help="skip writing the report")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_run)
    rep = cmds.add_parser("report", help="write the claims report of a results database")
    rep.add_argument("names", nargs="*", help="studies to report (default: all)")
    rep.add_argument("--quick", action="store_true", help="report the quick-budget runs")
    rep.add_argument("--db", default=DEFAULT_DB, help=f"results database (default {DEFAULT_DB})")
    rep.add_argument("--out", default=DEFAULT_OUT, help=f"report folder (default {DEFAULT_OUT})")
    rep.set_defaults(func=_report)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _list(args: argparse.Namespace) -> int:
    from ..claims import PAPERS, STUDIES, papers_without_study

    for s in STUDIES.values():
        n_full, n_quick = len(s.cells(False)), len(s.cells(True))
        data = f"  [needs data: {s.needs_data}]" if s.needs_data else ""
        print(f"{s.name:28s} paper {s.paper:2d}  {n_full:4d} runs ({n_quick} quick)  {PAPERS[s.paper]}{data}")
        if args.verbose:
            print(f"    claim: {s.claim}\n    setup: {s.setup}\n    rule:  {s.rule.text()}")
    missing = papers_without_study()
    print(f"\n{len(STUDIES)} studies covering {len(PAPERS) - len(missing)} of {len(PAPERS)} seed papers"
          + (f"; no study for papers {missing}" if missing else ""))
    return 0


def _run(args: argparse.Namespace) -> int:
    from ..claims import get_studies, run_claims

    studies = get_studies(args.names)
    if args.backend == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            print("actlab claims: error: --backend ray needs Ray: pip install 'actlab[ray]'", file=sys.stderr)
            return 2
    run = run_claims(studies, args.db, quick=args.quick, workers=args.workers, backend=args.backend,
                     address=args.address, retry_failed=args.retry_failed, progress=not args.quiet)
    print(f"claims{' (quick)' if args.quick else ''}: {run.ok} trained, {run.skipped} already in {args.db}, "
          f"{run.failed} failed ({run.wall_s:.1f} s)", file=sys.stderr)
    for name in run.needs_data:
        print(f"claims: {name} not run: it needs on-disk data (see `actlab claims list -v`)", file=sys.stderr)
    if run.failed:
        print("failed runs are stored with their errors (listed in the report); re-run with --retry-failed",
              file=sys.stderr)
    if args.no_report:
        return 0
    return _write(args.db, args.out, args.quick, args.names)


def _report(args: argparse.Namespace) -> int:
    return _write(args.db, args.out, args.quick, args.names)


def _write(db: str, out: str, quick: bool, names: list[str]) -> int:
    from ..bench._render import Table, to_text
    from ..claims import get_studies, write_claims_report

    md, page, results = write_claims_report(db, out, quick=quick, studies=get_studies(names))
    rows = [[r.study.name, str(r.study.paper), (r.effect and f"{r.effect.value:.3g} [{r.effect.lo:.3g}, "
                                                 f"{r.effect.hi:.3g}]") or "-", r.verdict] for r in results]
    print(to_text(Table(["study", "paper", "effect [95% CI]", "verdict"], rows)))
    print(f"\nreport: {page} (and {md})")
    return 0
