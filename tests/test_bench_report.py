"""Report and CLI: ranked table, n = 1 marks, failures, provenance, self-contained HTML, resume."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from actlab.bench import BenchConfig, ResultStore, run_grid  # noqa: E402
from actlab.bench.plots import cd_diagram  # noqa: E402
from actlab.bench.report import collect, rank_methods, write_report  # noqa: E402
from actlab.cli.main import main  # noqa: E402

from bench_standin import fake_train  # noqa: E402


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("rep") / "bench.db"
    d = {"name": "t", "grid": {"datasets": ["digits", "mnist1d"], "models": ["mlp"],
                               "activations": ["relu", "gelu", "tanh", "swish", "boom"], "seeds": [0, 1, 2]}}
    cells = BenchConfig.from_dict(d, check_names=False).cells()
    with ResultStore(path) as s:
        run_grid(cells, s, bench="t", train_fn=fake_train, progress=False)
        # one extra activation with a single run: its cells must be marked n = 1
        (one,) = BenchConfig.from_dict(
            {**d, "grid": {**d["grid"], "activations": ["silu"], "seeds": [0], "datasets": ["digits"]}},
            check_names=False,
        ).cells()
        run_grid([one], s, bench="t", train_fn=fake_train, progress=False)
    return path


def test_collect_and_rank(db):
    with ResultStore(db) as s:
        data = collect(s.rows(status=None))
    assert data.tasks == ["digits/mlp", "mnist1d/mlp"] and data.seeds == [0, 1, 2]
    assert "boom" not in data.methods  # failed runs carry no score
    assert data.scores["relu"].shape == (3, 2) and np.isnan(data.scores["silu"][:, 1]).all()
    # fake accuracy grows with len(act) % 4: swish (1) > relu, gelu (0); tanh 0; ties average
    r = rank_methods(data, seed=0, blocks="task")
    assert r.methods[0] == "swish"
    # silu has one run: keeping it would leave a single complete block, so it leaves the rank tests
    assert (r.excluded, r.n_blocks, r.friedman.n_methods) == (["silu"], 2, 4) and np.isnan(r.avg_rank["silu"])
    r = rank_methods(data, seed=0, blocks="task_seed")
    assert (r.excluded, r.n_blocks, r.methods[-1]) == (["silu"], 6, "silu")
    assert r.avg_rank["swish"] == 1.0 and r.avg_rank["relu"] == r.avg_rank["gelu"] == r.avg_rank["tanh"] == 3.0
    assert r.overall["relu"].mean == pytest.approx(np.nanmean(data.scores["relu"], axis=0).mean())


def test_report_files_and_content(db, tmp_path):
    md, page, ranking, data = write_report(db, tmp_path / "out")
    text, html = md.read_text(), page.read_text()
    for name in ("cd_diagram.png", "activations.png", "curves_test_acc.png"):
        assert (tmp_path / "out" / name).read_bytes()[:4] == b"\x89PNG"
        assert f"]({name})" in text
    assert "src='http" not in html and "<link" not in html and html.count("data:image/png;base64,") >= 3
    assert re.search(r"\| silu \| 5\d\.\d\d † \|", text)  # the n = 1 cell is marked
    assert "## Failed runs" in text and "boom activation exploded" in text
    assert "Friedman: chi2 =" in text and "Nemenyi critical difference" in text
    prov = text[text.index("## Provenance"):]
    assert "| digits/mlp | relu |" in prov and "| 0,1,2 |" in prov and "torch=" in prov
    cost = text[text.index("## Cost"):text.index("## Provenance")]
    assert re.search(r"\| relu \| 0\.500 \| 1\.00x \|", cost) and re.search(r"\| swish \| 0\.600 \| 1\.20x \|", cost)


def test_cd_diagram_is_a_png():
    assert cd_diagram({"a": 1.2, "b": 2.0, "c": 2.8}, cd=1.0)[:4] == b"\x89PNG"


def test_report_cli_and_errors(db, tmp_path, capsys):
    assert main(["report", str(db), "-o", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["#", "method", "avg"] and "report:" in out
    assert (tmp_path / "r" / "report.html").is_file()
    assert main(["report", str(tmp_path / "missing.db"), "-o", str(tmp_path / "r")]) == 2
    assert "run `actlab bench" in capsys.readouterr().err


def test_bench_cli_trains_then_skips(tmp_path, capsys):
    """A tiny real grid through `actlab bench`; the second call trains nothing."""
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        'name = "tiny"\n[grid]\ndatasets = ["digits"]\nmodels = ["mlp"]\n'
        'model_kwargs = { mlp = { depth = 1, width = 8 } }\n'
        'activations = ["relu", "tanh"]\nseeds = [0, 1]\n[recipe]\nepochs = 1\ndevice = "cpu"\n'
    )
    args = ["bench", "--config", str(cfg), "--db", str(tmp_path / "b.db"), "--out", str(tmp_path / "rep"),
            "--workers", "1", "--quiet"]
    assert main(args) == 0
    first = capsys.readouterr()
    assert "4 trained, 0 already in the database, 0 failed" in first.err and "report:" in first.out
    assert main(args + ["--set", "name=tiny", "--no-report"]) == 0
    assert "0 trained, 4 already in the database" in capsys.readouterr().err
    with ResultStore(tmp_path / "b.db") as s:
        rows = s.rows()
        assert len(rows) == 4 and all(0.0 <= r.result["test"]["acc"] <= 1.0 for r in rows)
        assert rows[0].git_commit is None or len(rows[0].git_commit) >= 40


def test_a_rerun_with_a_changed_config_supersedes(tmp_path):
    with ResultStore(tmp_path / "b.db") as s:
        for key, acc in (("old", 0.1), ("new", 0.9)):
            s.add(key=key, bench="t", task="digits/mlp", method="relu", seed=0, config={"v": key},
                  result={"test": {"acc": acc}}, error=None, start_time=0.0)
        data = collect(s.rows())
    assert len(data.rows) == 1 and data.rows[0].key == "new" and data.scores["relu"][0, 0] == 0.9


def test_cost_table_names_memory_kinds_and_never_mixes_them(tmp_path):
    """CPU per-sample saved bytes and CUDA peaks get separate columns, and the text says so."""
    from actlab.bench.report import _cost

    kinds = {"digits/mlp": ("cpu_saved_bytes_per_sample", 2**10), "cifar10/resnet20": ("cuda_max_allocated", 2**20)}
    with ResultStore(tmp_path / "b.db") as s:
        for task, (kind, unit) in kinds.items():
            for method, scale in (("relu", 1), ("swish", 3)):
                s.add(key=f"{task}-{method}", bench="t", task=task, method=method, seed=0,
                      config={"dataset": task, "act": method},
                      result={"test": {"acc": 0.5}, "time_per_epoch_s": 1.0, "peak_memory_bytes": 4 * scale * unit,
                              "memory_kind": kind}, error=None, start_time=0.0)
        data = collect(s.rows())
    table, notes = _cost(data, rank_methods(data))
    assert table.header == ["method", "time/epoch s", "vs relu", "saved for backward KiB/sample (CPU)", "vs relu",
                            "peak allocated MiB (CUDA)", "vs relu"]
    swish = next(r for r in table.rows if r[0] == "swish")
    assert swish[3:] == ["12.00", "3.00x", "12.00", "3.00x"]  # each kind averaged and compared on its own runs only
    assert any("2 different memory kinds" in n for n in notes) and any("per sample" in n for n in notes)
    one_kind, notes = _cost(collect([r for r in data.rows if r.task == "digits/mlp"]), rank_methods(data))
    assert len(one_kind.header) == 5 and not any("different memory kinds" in n for n in notes)
