"""``actlab bench`` (run a benchmark grid, then report) and ``actlab report DB -o DIR``.

Exit status of ``bench``: 0 when every cell of the grid finished, 1 when some failed (config
errors, stored with their messages) or stayed pending (their worker died), 130 when Ctrl-C or
SIGTERM interrupted it (every finished run is kept; the same command resumes).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..bench import Cell, ResultStore, RunSummary

DEFAULT_DB = "actlab_results/bench.db"
DEFAULT_OUT = "actlab_results/report"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="run a benchmark grid (default: the quick preset) and write its report",
        description="Trains every unfinished cell of a benchmark grid into a SQLite database, "
        "then writes the report and prints the ranked table. Re-running skips finished runs.",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--preset", default=None, help="quick (default), standard or survey")
    src.add_argument("--config", default=None, metavar="FILE.toml", help="a benchmark TOML file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set recipe.epochs=3 --set 'grid.seeds=[0,1]' (repeatable)")
    p.add_argument("--db", default=DEFAULT_DB, help=f"results database (default {DEFAULT_DB})")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"report folder (default {DEFAULT_OUT})")
    p.add_argument("--backend", choices=("local", "ray"), default="local", help="local processes or a Ray cluster")
    p.add_argument(
        "--workers", type=int, default=0, help="local worker processes (0 = one per CPU core, 1 = in this process)"
    )
    p.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray instance)")
    p.add_argument("--gpus-per-task", type=float, default=0.0, help="Ray: GPU fraction per run, e.g. 0.25 (default 0)")
    p.add_argument("--cpus-per-task", type=float, default=1.0, help="Ray: CPUs per run (default 1)")
    p.add_argument("--retry-failed", action="store_true", help="re-run cells stored as failed")
    p.add_argument("--dry-run", action="store_true",
                   help="build every distinct cell (data, model, activation, init, optimizer, device) without "
                   "training; report each problem once")
    p.add_argument("--no-report", action="store_true", help="skip writing the report")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_bench)

    r = sub.add_parser("report", help="write the Markdown/HTML report of a results database")
    r.add_argument("db", help="results database written by `actlab bench`")
    r.add_argument("-o", "--out", default=DEFAULT_OUT, help=f"report folder (default {DEFAULT_OUT})")
    r.add_argument("--bench", default=None, help="only runs of this benchmark name")
    r.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    r.add_argument("--blocks", choices=("task_seed", "task"), default="task_seed", help="blocks of the rank tests")
    grid = r.add_mutually_exclusive_group()
    grid.add_argument("--preset", default=None, help="report exactly the cells of this preset's grid")
    grid.add_argument("--config", default=None, metavar="FILE.toml", help="report exactly the cells of this grid")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="with --preset/--config (or alone, on the quick preset): the --set of the bench to report")
    vers = r.add_mutually_exclusive_group()
    vers.add_argument("--version", dest="actlab_version", default=None, metavar="V",
                      help="report the runs written by actlab V (default: the version of the newest run)")
    vers.add_argument("--all-versions", action="store_true", help="mix the runs of every actlab version")
    r.set_defaults(func=_report)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a bench the way Ctrl-C does (KeyboardInterrupt in the main thread)."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _bench(args: argparse.Namespace) -> int:
    from ..bench import ResultStore, load_bench_config

    cfg = load_bench_config(preset=args.preset, path=args.config, overrides=args.overrides)
    cells = cfg.cells()
    print(
        f"bench {cfg.name!r}: {len(cfg.tasks)} tasks x {len(cfg.activations)} activations x {len(cfg.inits)} inits x "
        f"{len(cfg.optimizers)} optimizers x {len(cfg.seeds)} seeds = {len(cells)} runs; database {args.db}",
        file=sys.stderr,
    )
    # Validation before training: every distinct cell is built once (data, model, init, optimizer, device);
    # a problem the config causes is reported once, before anything trains (actlab.bench.preflight).
    from ..bench.preflight import check_cells, format_problems

    problems = check_cells(cells)
    if args.dry_run or problems:
        print(format_problems(problems, cells), file=sys.stderr)
        if problems and not args.dry_run:
            print("nothing was trained: fix the config (see above), or check it with --dry-run", file=sys.stderr)
        return 2 if problems else 0
    keys = {c.key for c in cells}
    try:
        with _sigterm_as_interrupt(), ResultStore(args.db) as store:
            try:
                summary = _run(args, cfg.name, cells, store)
            except KeyboardInterrupt:
                kept = len(store.keys("ok") & keys)
                print(f"interrupted: {kept} finished runs kept; rerun the same command to resume", file=sys.stderr)
                return 130
            failed_rows = [r for r in store.rows(status="failed") if r.key in keys]
            n_ok = len(store.keys("ok") & keys)
    except KeyboardInterrupt:  # before the runner started (opening the store)
        print("interrupted: 0 finished runs kept; rerun the same command to resume", file=sys.stderr)
        return 130
    if summary is None:
        return 2
    elsewhere = f", {summary.elsewhere} trained by another process on this database" if summary.elsewhere else ""
    print(f"{summary.ok} trained, {summary.skipped} already in the database, {summary.failed} failed{elsewhere} "
          f"({summary.wall_s:.1f} s)", file=sys.stderr)
    status = 0
    if summary.pending:
        why = "; ".join(summary.infra_errors[:3]) or "the worker died"
        print(f"{summary.pending} runs not done: their worker died or ran out of memory ({why}); they are not "
              "results and stay pending: rerun the same command to retry them", file=sys.stderr)
        status = 1
    if failed_rows:
        reasons = list(dict.fromkeys((r.error or "unknown error").strip().splitlines()[0][:160] for r in failed_rows))
        earlier = len(failed_rows) - summary.failed
        print(f"{len(failed_rows)} runs of this grid failed{f' ({earlier} in an earlier run)' if earlier > 0 else ''}"
              f", stored with their errors ({len(reasons)} distinct): {' | '.join(reasons[:3])}"
              f"{' | ...' if len(reasons) > 3 else ''}. Fix the config, then rerun with --retry-failed; "
              "the report's 'Failed runs' section lists them", file=sys.stderr)
        status = 1
    if args.no_report:
        return status
    if not n_ok:
        print("no finished run of this grid to report; no report written", file=sys.stderr)
        return status or 1
    return _write(args.db, args.out, bench=cfg.name, seed=0, blocks="task_seed", keys=keys) or status


def _run(args: argparse.Namespace, name: str, cells: list[Cell], store: ResultStore) -> RunSummary | None:
    """Runs the grid on the chosen backend; ``None`` when the backend is unavailable (message printed)."""
    from ..bench import run_grid

    if args.backend == "ray":
        from ..bench.ray_backend import run_grid_ray

        try:
            import ray  # noqa: F401
        except ImportError:
            print("actlab bench: error: --backend ray needs Ray: pip install 'actlab[ray]'", file=sys.stderr)
            return None
        return run_grid_ray(cells, store, bench=name, address=args.address, num_gpus=args.gpus_per_task,
                            num_cpus=args.cpus_per_task, retry_failed=args.retry_failed, progress=not args.quiet)
    return run_grid(cells, store, bench=name, workers=args.workers, retry_failed=args.retry_failed,
                    progress=not args.quiet)


def _report(args: argparse.Namespace) -> int:
    keys = None
    if args.preset or args.config or args.overrides:
        from .._version import __version__
        from ..bench import cell_key, load_bench_config

        cfg = load_bench_config(preset=args.preset, path=args.config, overrides=args.overrides)
        keys = {cell_key(c.config, version=args.actlab_version or __version__) for c in cfg.cells()}
    return _write(args.db, args.out, bench=args.bench, seed=args.seed, blocks=args.blocks, keys=keys,
                  version=args.actlab_version, all_versions=args.all_versions)


def _write(db: str, out: str, bench: str | None, seed: int, blocks: str, keys: set[str] | None = None,
           version: str | None = None, all_versions: bool = False) -> int:
    from ..bench.report import ranked_table_text, write_report

    md, page, ranking, data = write_report(db, out, bench=bench, seed=seed, blocks=blocks, keys=keys,
                                           version=version, all_versions=all_versions)
    print(ranked_table_text(data, ranking))
    for note in data.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"\nreport: {page} (and {md})")
    return 0
