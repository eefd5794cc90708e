"""``actlab bench`` (run a benchmark grid, then report) and ``actlab report DB -o DIR``."""

from __future__ import annotations

import argparse
import sys

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
    r.set_defaults(func=_report)


def _bench(args: argparse.Namespace) -> int:
    from ..bench import ResultStore, load_bench_config, run_grid

    cfg = load_bench_config(preset=args.preset, path=args.config, overrides=args.overrides)
    cells = cfg.cells()
    print(
        f"bench {cfg.name!r}: {len(cfg.tasks)} tasks x {len(cfg.activations)} activations x {len(cfg.inits)} inits x "
        f"{len(cfg.optimizers)} optimizers x {len(cfg.seeds)} seeds = {len(cells)} runs; database {args.db}",
        file=sys.stderr,
    )
    if args.dry_run:  # build every distinct cell without training (actlab.bench.preflight)
        from ..bench.preflight import check_cells, format_problems

        problems = check_cells(cells)
        print(format_problems(problems, cells), file=sys.stderr)
        return 2 if problems else 0
    with ResultStore(args.db) as store:
        if args.backend == "ray":
            from ..bench.ray_backend import run_grid_ray

            try:
                import ray  # noqa: F401
            except ImportError:
                print("actlab bench: error: --backend ray needs Ray: pip install 'actlab[ray]'", file=sys.stderr)
                return 2
            summary = run_grid_ray(cells, store, bench=cfg.name, address=args.address, num_gpus=args.gpus_per_task,
                                   num_cpus=args.cpus_per_task, retry_failed=args.retry_failed, progress=not args.quiet)
        else:
            summary = run_grid(cells, store, bench=cfg.name, workers=args.workers, retry_failed=args.retry_failed,
                               progress=not args.quiet)
    print(f"{summary.ok} trained, {summary.skipped} already in the database, {summary.failed} failed "
          f"({summary.wall_s:.1f} s)", file=sys.stderr)
    if summary.failed:
        print("failed runs are stored with their errors; see the report's 'Failed runs' section or re-run with "
              "--retry-failed", file=sys.stderr)
    if args.no_report:
        return 0
    return _write(args.db, args.out, bench=cfg.name, seed=0, blocks="task_seed")


def _report(args: argparse.Namespace) -> int:
    return _write(args.db, args.out, bench=args.bench, seed=args.seed, blocks=args.blocks)


def _write(db: str, out: str, bench: str | None, seed: int, blocks: str) -> int:
    from ..bench.report import ranked_table_text, write_report

    md, page, ranking, data = write_report(db, out, bench=bench, seed=seed, blocks=blocks)
    print(ranked_table_text(data, ranking))
    print(f"\nreport: {page} (and {md})")
    return 0
