"""The README's surgery example runs as written and prints the report the README shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _section() -> tuple[str, str]:
    text = README.read_text()
    section = text.split("## Surgery on the models people bring", 1)[1].split("\n## ", 1)[0]
    code, printed = re.findall(r"```(?:python)?\n(.*?)```", section, flags=re.S)[:2]
    return code, printed


def test_readme_surgery_example_runs_and_prints_its_report():
    code, printed = _section()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})  # the README's own code
    assert out.getvalue() == printed
