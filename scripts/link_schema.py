"""Print the link schema (every page's URL parameters) as the Markdown table the README shows.

    .venv/bin/python scripts/link_schema.py            # print the table
    .venv/bin/python scripts/link_schema.py --write    # rewrite the README block in place

``tests/test_readme.py`` fails when the README's block differs from this output, so the documented
link API cannot drift from :data:`initviz.ui.links.SCHEMAS`.
"""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from initviz.ui import links  # noqa: E402

START, END = "<!-- link-schema:start -->", "<!-- link-schema:end -->"
README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _values(p: links.Param) -> str:
    if p.kind in ("choice", "multi"):
        shown = ", ".join(f"`{o}`" for o in p.options)
        return ("comma-separated: " if p.kind == "multi" else "") + shown
    if p.kind == "bool":
        return "`true` / `false`"
    if p.options:
        return "one of " + ", ".join(f"`{links.format_value(p, o)}`" for o in p.options)
    lo = "−∞" if p.lo is None else links.format_value(p, p.lo)
    hi = "∞" if p.hi is None else links.format_value(p, p.hi)
    return f"{p.kind} in [{lo}, {hi}]"


def table() -> str:
    """The Markdown block: one table per page, one row per parameter."""
    out = [START]
    for path, schema in links.SCHEMAS.items():
        out += ["", f"**`/{path}`**", "", "| parameter | values | default | applies when | meaning |",
                "|---|---|---|---|---|"]
        for p in schema.params:
            default = links.format_value(p, p.default) or "(none)"
            when = "; ".join(f"`{n}` ∈ {{{', '.join(map(str, v))}}}" for n, v in p.when) or "always"
            meaning = (p.help or p.label).replace("|", "\\|")
            out.append(f"| `{p.name}` | {_values(p).replace('|', chr(92) + '|')} | `{default}` | {when} | {meaning} |")
    out += ["", END]
    return "\n".join(out)


def main() -> None:
    block = table()
    if "--write" not in sys.argv:
        print(block)
        return
    text = README.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(head + block + tail)


if __name__ == "__main__":
    main()
