"""``actlab list``, ``actlab show`` and ``actlab plot`` through the real entry point."""

from __future__ import annotations

import numpy as np
import pytest

from actlab.activations import activation_info, list_activations
from actlab.cli.main import main
from actlab.cli.zoo_cmds import curves


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_list_all_and_filters(capsys):
    rc, out, _ = run(capsys, "list")
    assert rc == 0
    assert out.strip().endswith(f"{len(list_activations())} activations")
    rows = {line.split()[0] for line in out.splitlines()[1:-1]}
    assert rows == set(list_activations())
    rc, out, _ = run(capsys, "list", "relu*", "--fixed")
    assert rc == 0
    rows = {line.split()[0] for line in out.splitlines()[1:-1]}
    assert rows == set(list_activations("relu*", trainable=False)) and "relu6" in rows
    rc, out, _ = run(capsys, "list", "--trainable")
    assert "srs" in out and "\nrelu " not in out


@pytest.mark.parametrize("name, expect", [
    ("swish", ["beta: init 1", "warm start from  silu", "0.25"]),
    ("lrelu", ["name             leaky_relu", "negative_slope: init 0.01", "fixed"]),
    ("pdelu", ["output range     (-1, inf)", "smoothness       C1"]),
])
def test_show_prints_the_property_row(capsys, name, expect):
    rc, out, _ = run(capsys, "show", name)
    assert rc == 0
    for text in expect:
        assert text in out
    assert len(out.splitlines()) == len(activation_info(name).as_rows())


def test_show_unknown_name_suggests(capsys):
    rc, _, err = run(capsys, "show", "mishh")
    assert rc == 2
    assert "'mish'" in err


def test_plot_writes_a_png(capsys, tmp_path):
    out = tmp_path / "acts.png"
    rc, stdout, _ = run(capsys, "plot", "relu", "swish1", "pdelu", "-o", str(out), "--points", "101")
    assert rc == 0 and "silu" in stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv, message", [
    (["plot", "abrelu", "-o", "{tmp}/a.png"], "not elementwise"),
    (["plot", "relu", "-o", "{tmp}/missing/a.png"], "does not exist"),
    (["plot", "relu", "-o", "{tmp}/a.png", "--range", "2", "1"], "HI > LO"),
])
def test_plot_errors_say_what_to_do(capsys, tmp_path, argv, message):
    rc, _, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert rc == 2 and message in err


def test_curves_derivative_is_the_closed_form():
    x, y, dy = curves("tanh", -3.0, 3.0, 61)
    np.testing.assert_allclose(y, np.tanh(x), atol=1e-12)
    np.testing.assert_allclose(dy, 1.0 - np.tanh(x) ** 2, atol=1e-12)
