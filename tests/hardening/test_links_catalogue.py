"""Every link of the catalogue (``links_catalogue.py``, ≥ 200 malformed links) through the real app
with AppTest: no uncaught exception, no traceback text anywhere, a visible notice for every link that
carries an invalid value (and none for a valid one), the canonical link the app writes back, no
injected Markdown/HTML/LaTeX in any rendered element, and no NaN or inf in any chart. A link whose run
hangs fails (AppTest raises after ``catalogue_sessions.TIMEOUT`` seconds).

How a link is opened: ``catalogue_sessions.py``. How long each link takes is a benchmark, not a test
(the machine's cores are shared, and targets live in benchmarks): ``python -m bench.links`` runs the
same catalogue and reports the slowest link against issue 4's 3 s.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

import numpy as np
import pytest

from initviz.figures import theme
from catalogue_sessions import Sessions, link_params, written
from links_catalogue import CATALOGUE, CLASSES, PAGES, Link
from test_app_support import decode, numbers

NOTICE_HEADING = "could not be used as given"
COMPUTE_ERROR = "could not be computed"
BUDGET_CUT = "the hosted demo computes for one view"
"""A Propagation view's sample cut by the hosted budget, said next to the control (issue 12, item 1)."""
BUDGET_UNFIT = "nothing is computed"
"""A Propagation view over the hosted budget even with the smallest sample: choices instead of charts."""
CATCH_ALL = "Something went wrong"
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+|\.py\", line \d+")
PLAIN = frozenset({"text", "code"})
"""Elements whose body is shown verbatim (``st.text``, ``st.code``); everything else may render
Markdown, HTML (plotly titles and labels) or LaTeX."""
SPECIAL = re.compile(r"[\[\]<>$\\`*!]")
"""A raw key or value with one of these characters must never reach a rendered element."""


# --- reading an AppTest's output -----------------------------------------------------------------

def _strings(message):
    """Every string in a protobuf message, recursively; JSON strings (plotly ``spec``/``config``)
    also decoded, since plotly escapes ``<``, ``>`` and ``/`` as ``\\u003c``… in its JSON."""
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        for v in values:
            if field.type == field.TYPE_MESSAGE:
                yield from _strings(v)
            elif isinstance(v, str):
                yield v
                if v[:1] in "{[":
                    try:
                        yield from _json_strings(json.loads(v))
                    except ValueError:
                        pass


def _json_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _json_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _json_strings(v)


def rendered(at) -> list[tuple[str, str]]:
    """(element type, string) for every string of every element and block of the page."""
    out = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            out += [(node.type, s) for s in _strings(proto)]
    return out


def leaks(at, needles) -> list[tuple[str, str]]:
    """(element type, needle) for each needle found in an element that is not plain text."""
    found = []
    for kind, s in rendered(at):
        if kind in PLAIN:
            continue
        found += [(kind, n) for n in needles if n and n in s]
    return found


def bad_charts(at) -> list[str]:
    """Keys of the charts that plotly rejects (the app builds them unvalidated) or that hold a NaN
    or an infinity anywhere (data or layout), with the reason."""
    bad = []
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        key = c.proto.id.rsplit("-", 1)[-1]
        try:
            theme.validate(spec)
        except ValueError as e:
            bad.append(f"{key}: {str(e)[:200]}")
        if not all(np.isfinite(v) for v in numbers(decode(spec))):
            bad.append(f"{key}: NaN or inf")
    return bad


@pytest.fixture(scope="module")
def sessions():
    return Sessions()


# --- the catalogue itself ------------------------------------------------------------------------

def test_catalogue_covers_every_class_and_page():
    assert len(CATALOGUE) >= 200
    by_class = defaultdict(int)
    for link in CATALOGUE:
        assert link.page in PAGES and link.cls in CLASSES, link
        by_class[link.cls] += 1
    assert set(by_class) == set(CLASSES), by_class
    assert {link.page for link in CATALOGUE} == set(PAGES)
    assert {link.page for link in CATALOGUE if link.cls == "injection"} == set(PAGES)
    assert {link.page for link in CATALOGUE if link.cls == "budget"} == set(PAGES)
    assert len({(link.page, link.query) for link in CATALOGUE}) == len(CATALOGUE), "duplicate links"
    for link in CATALOGUE:
        assert link.names or not link.invalid, f"{link.id}: an invalid link must say what its notice names"


@pytest.mark.parametrize("link", CATALOGUE, ids=[f"{i:03d}-{link.cls}-{link.id}" for i, link in enumerate(CATALOGUE)])
def test_link(link: Link, sessions):
    at, _, _ = sessions.open(link)

    assert not at.exception, [e.value for e in at.exception]
    everything = rendered(at)
    assert not [s for _, s in everything if TRACEBACK.search(s)], "traceback text on the page"

    warnings = [w.value for w in at.warning]
    errors = [e.value for e in at.error]
    notices = "\n".join([t.value for t in at.text] + warnings + errors)
    assert not any(CATCH_ALL in e for e in errors), errors
    shown = any(NOTICE_HEADING in w or BUDGET_CUT in w or BUDGET_UNFIT in w for w in warnings) or any(
        COMPUTE_ERROR in e for e in errors)
    if link.invalid:
        assert shown, "no visible notice for an invalid link"
        missing = [n for n in link.names if n not in notices]
        assert not missing, f"notices do not name {missing}: {notices[:2000]}"
    else:
        assert not shown and not errors, f"a valid link got notices or errors: {notices[:2000]}"
    if link.applied is not None:
        assert {k: v[-1] for k, v in written(at).items()} == link.applied

    raw = [s for k, vs in link_params(link).items() for s in (k, *vs)]
    needles = set(link.markers) | {s for s in raw if len(s) >= 4 and SPECIAL.search(s)}
    assert not leaks(at, needles), "untrusted text reached a rendered element"
    assert not bad_charts(at)

