"""Properties of the link parser (issue 4), for every page, beyond tests/test_links.py:

* any query in — real parameter names mixed with arbitrary ones, values drawn from the grammar's
  edge cases and from arbitrary Unicode, repeated keys — gives a valid configuration out
  (``links.validate`` accepts it), and the untrusted text in its notices is ASCII-escaped;
* the canonical link of whatever was applied parses back to the very same configuration with no
  notice (canonical → parse → the same configuration), and is a fixed point of parse ∘ canonical;
* non-ASCII look-alikes never select an option, even where ``str.lower``/``str.strip`` would turn
  them into one.
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from initviz.ui import links

PAGES = sorted(links.SCHEMAS)
TEMPLATE_UNICODE = {c for module in Path(links.__file__).parent.glob("*.py")
                    for c in module.read_text(encoding="utf-8") if not c.isascii()}
"""Non-ASCII characters of the link package's own notice templates (—, ×, …): the only ones a notice may hold."""

EDGE_VALUES = ("", " ", "0", "-0", "+1", "1e3", "1e309", "-1e309", "nan", "inf", "-inf", "0x10", "1_000", "١٢٣",
               "５", " 5", "5 ", "5.0", ".", "--1", "1,5", "999999999999999999999", "-999999999", "true", "off",
               "TANH", " relu ", "\u212aaiming_normal", "\u00a0relu", "normal,uniform", ",,", "%00", "\x00",
               "[x](//evil.example)", "<img src=x onerror=alert(1)>", "$\\href{//e}{x}$", "a" * 300)
"""Values at the edges of every grammar (numbers, floats, choices, lists, sizes, injection)."""


def _names(page: str):
    schema = links.SCHEMAS[page]
    return st.one_of(st.sampled_from([p.name for p in schema.params]), st.sampled_from(sorted(links.STREAMLIT_RESERVED)),
                     st.text(max_size=12))


def _values(page: str):
    schema = links.SCHEMAS[page]
    options = [str(o) for p in schema.params for o in p.options] or ["x"]
    return st.one_of(st.sampled_from(EDGE_VALUES), st.sampled_from(options), st.text(max_size=24),
                     st.integers(-10 ** 12, 10 ** 12).map(str), st.floats(allow_nan=True).map(repr))


def _raw(page: str):
    """A query as ``st.query_params.get_all`` gives it: name → list of values (repeats included)."""
    return st.dictionaries(_names(page), st.lists(_values(page), min_size=0, max_size=3), max_size=12)


def _ascii_escaped(text: str) -> bool:
    return all(c.isascii() or c in TEMPLATE_UNICODE for c in text)


@pytest.mark.parametrize("page", PAGES)
@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_query_gives_a_valid_configuration_whose_canonical_link_round_trips(page, data):
    raw = data.draw(_raw(page))
    settings, notices = links.parse(page, raw)
    assert links.validate(page, settings) == settings
    assert all(_ascii_escaped(str(n)) for n in notices)
    canonical = links.canonical(page, settings)
    again, more = links.parse(page, canonical)
    assert more == []
    assert again == settings
    assert links.canonical(page, again) == canonical


@pytest.mark.parametrize(("name", "text"), [("scheme", "\u212aaiming_normal"), ("activation", "\u00a0relu"),
                                            ("activation", "relu\u3000"), ("dtype", "ｆｌｏａｔ64")])
def test_non_ascii_look_alikes_select_nothing(name, text):
    settings, notices = links.parse("propagation", {name: [text]})
    assert settings[name] == links.SCHEMAS["propagation"].by_name[name].default
    assert [n.param for n in notices] == [name]


def test_a_non_ascii_item_of_a_list_is_dropped_and_named():
    settings, notices = links.parse("propagation", {"compare": ["kaiming_normal,\u212aaiming_uniform"]})
    assert settings["compare"] == ("kaiming_normal",)
    assert len(notices) == 1 and "\\u212aaiming_uniform" in str(notices[0])


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(depth=st.integers(-5, 10 ** 6), seeds=st.integers(-5, 100), batch=st.integers(-5, 10 ** 5),
       width=st.sampled_from([1, 16, 64, 256, 2048, 10 ** 6]),
       compare=st.lists(st.sampled_from(["kaiming_normal", "orthogonal", "trunc_normal", "sparse"]), max_size=4))
def test_a_propagation_link_never_computes_more_than_the_page_budget(depth, seeds, batch, width, compare):
    """What the page computes of a link (:func:`links.fit`) — the view with its sample cut, or else
    each choice it offers — stays within the budget, e.g. Σ over runs of the layers propagated:
    (1 + compared)·n_seeds·depth ≤ PAGE_MAX_LAYERS; and the cut never touches the question."""
    raw = {"depth": [str(depth)], "n_seeds": [str(seeds)], "batch": [str(batch)], "width": [str(width)],
           "compare": [",".join(compare)]}
    s, _ = links.parse("propagation", raw)
    fitted = links.fit(s)
    computed = [fitted.settings] if fitted.fits else [links.fit(c).settings for _, c in fitted.choices]
    assert fitted.fits or fitted.choices
    for c in computed:
        assert (1 + len(c["compare"])) * c["n_seeds"] * c["depth"] <= links.PAGE_MAX_LAYERS
        cost = links.propagation_cost(c)
        assert cost["page_macs"] <= links.PAGE_MAX_MACS and cost["page_draws"] <= links.PAGE_MAX_DRAWS
    kept = ("depth", "width", "in_width", "activation", "scheme", "compare")
    assert {k: fitted.settings[k] for k in kept} == {k: s[k] for k in kept}
    assert fitted.settings["batch"] >= min(s["batch"], links.batch_floor(s["width"]))


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sweep=st.sampled_from(["256", "4096", "999999"]), m=st.sampled_from(["100", "1600", "99999"]),
       ratio=st.sampled_from(["0.05", "0.8", "1", "4", "1e9"]), rect_m=st.integers(-1, 10 ** 5).map(str),
       rect_n=st.integers(-1, 10 ** 5).map(str),
       dists=st.lists(st.sampled_from(links.DISTRIBUTIONS), min_size=1, max_size=5).map(",".join),
       mp_dist=st.sampled_from(links.DISTRIBUTIONS), rect_dist=st.sampled_from(links.DISTRIBUTIONS),
       step=st.sampled_from(links.GEOMETRY_STEPS))
def test_a_geometry_link_stays_within_the_core_and_the_page_budget(sweep, m, ratio, rect_m, rect_n, dists, mp_dist,
                                                                  rect_dist, step):
    """The spectrum's eigen-work min(m, n)³ (n = round(λ·m)) within the core's SPECTRUM_MAX_WORK, the
    rectangular W within MAX_RECT_WEIGHTS entries; the step shown is computed only within
    GEOMETRY_MAX_SECONDS (hosted), and a step over it keeps its sizes and offers choices that each fit."""
    from initviz.geometry import SPECTRUM_MAX_WORK

    raw = {"sweep_max": [sweep], "mp_m": [m], "mp_ratio": [ratio], "rect_m": [rect_m], "rect_n": [rect_n],
           "sweep_dists": [dists], "mp_dist": [mp_dist], "rect_dist": [rect_dist], "step": [step]}
    s, _ = links.parse("geometry", raw)
    assert min(s["mp_m"], max(1, round(s["mp_ratio"] * s["mp_m"]))) ** 3 <= SPECTRUM_MAX_WORK
    assert s["rect_m"] * s["rect_n"] <= links.MAX_RECT_WEIGHTS
    fitted = links.geometry.fit_view(s)
    assert fitted.settings == s  # the sizes asked are never changed by the budget
    if fitted.fits:
        assert sum(links.geometry_seconds(s).values()) <= links.GEOMETRY_MAX_SECONDS
    for _, choice in fitted.choices:
        assert sum(links.geometry_seconds(choice).values()) <= links.GEOMETRY_MAX_SECONDS
