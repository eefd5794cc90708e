"""Rendering of report sections (tables, figures, text) to Markdown and self-contained HTML."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

__all__ = ["Table", "Figure", "Section", "to_markdown", "to_html", "to_text"]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Figure:
    name: str  # file name of the PNG written next to the Markdown
    png: bytes
    caption: str = ""


@dataclass
class Section:
    title: str
    text: list[str] = field(default_factory=list)
    items: list[Table | Figure] = field(default_factory=list)


def to_text(t: Table) -> str:
    """A fixed-width plain-text table (for the terminal)."""
    widths = [max(len(str(r[i])) for r in [t.header, *t.rows]) for i in range(len(t.header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(t.header), line(["-" * w for w in widths]), *map(line, t.rows)])


def _md_table(t: Table) -> str:
    esc = lambda c: str(c).replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(map(esc, t.header)) + " |", "|" + "|".join("---" for _ in t.header) + "|"]
    out += ["| " + " | ".join(map(esc, r)) + " |" for r in t.rows]
    return "\n".join(out)


def to_markdown(title: str, intro: list[str], sections: list[Section]) -> str:
    """Markdown with figures referenced as PNG files written next to it."""
    out = [f"# {title}", "", *intro, ""]
    for s in sections:
        out += [f"## {s.title}", ""]
        out += [*s.text, ""] if s.text else []
        for it in s.items:
            if isinstance(it, Table):
                out += [_md_table(it), ""]
            else:
                out += [f"![{it.caption}]({it.name})", "", f"*{it.caption}*" if it.caption else "", ""]
    return "\n".join(out)


_CSS = (
    "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
    "color:#222}\n"
    "table{border-collapse:collapse;margin:0.6em 0 1.4em;font-size:14px}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}\n"
    "th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}img{max-width:100%}"
    "figcaption{font-size:13px;color:#555}\n"
    "h2{border-bottom:1px solid #ddd;padding-bottom:3px;margin-top:1.6em}code{background:#f4f4f4;padding:0 3px}"
)


def to_html(title: str, intro: list[str], sections: list[Section]) -> str:
    """One self-contained HTML page: figures inlined as base64 PNGs, no external resources."""
    e = html.escape
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{_CSS}</style>"
           "</head><body>",
           f"<h1>{e(title)}</h1>", *(f"<p>{e(p)}</p>" for p in intro if p)]
    for s in sections:
        out.append(f"<h2>{e(s.title)}</h2>")
        out += [f"<p>{e(p)}</p>" for p in s.text if p]
        for it in s.items:
            if isinstance(it, Table):
                out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in it.header) + "</tr>")
                out += ["<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in it.rows]
                out.append("</table>")
            else:
                b64 = base64.b64encode(it.png).decode()
                out.append(f"<figure><img alt='{e(it.caption)}' src='data:image/png;base64,{b64}'>"
                           f"<figcaption>{e(it.caption)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)
