"""The link schema (initviz.ui.links): strict grammars, notices, round trips, every schema entry."""

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from initviz.errors import InitvizError
from initviz.ui import links
from initviz.ui.links import Notice, Param

PAGES = sorted(links.SCHEMAS)
TEMPLATE_UNICODE = {c for module in Path(links.__file__).parent.glob("*.py")
                    for c in module.read_text(encoding="utf-8") if not c.isascii()}


def _only_template_unicode(text: str) -> bool:
    """Untrusted text reaches a notice only ASCII-escaped: every non-ASCII character in it must be
    one of the package's own (—, ×, …)."""
    return all(c.isascii() or c in TEMPLATE_UNICODE for c in text)
ALL_PARAMS = [(page, p) for page in PAGES for p in links.SCHEMAS[page].params]
IDS = [f"{page}.{p.name}" for page, p in ALL_PARAMS]


def _other_value(p: Param):
    """A valid value different from the default, chosen without the module's help."""
    if p.kind == "bool":
        return not p.default
    if p.kind == "choice":
        return next(o for o in p.options if o != p.default)
    if p.kind == "multi":
        return tuple(reversed(p.options))[: max(p.min_items, 1)] if tuple(reversed(p.options))[:1] != p.default[:1] \
            else p.options[-2:]
    if p.options:
        return next(o for o in p.options if o != p.default)
    if p.kind == "int":
        return p.default + 1 if p.hi is None or p.default + 1 <= p.hi else p.default - 1
    lo = -1e6 if p.lo is None else p.lo
    hi = 1e6 if p.hi is None else p.hi
    return (lo + hi) / 2 if (lo + hi) / 2 != p.default else lo


def _applying(page: str, name: str, value) -> dict:
    """Defaults of ``page`` with ``name`` = ``value`` and whatever ``name`` needs to apply."""
    schema = links.SCHEMAS[page]
    s = schema.defaults()
    p = schema.by_name[name]
    for other, allowed in p.when:
        if s[other] not in allowed:
            s[other] = allowed[0]
    s[name] = value
    if page == "initializers" and s["scheme"] in ("dirac", "delta_orthogonal"):  # conv-only: a conv layer that fits
        s.update(layer="conv2d", n_in=64, n_out=64 * value if name == "dirac_groups" else 64)
    return s


# --- every schema entry --------------------------------------------------------------------------

@pytest.mark.parametrize(("page", "param"), ALL_PARAMS, ids=IDS)
def test_default_is_valid_and_absent_from_links(page, param):
    assert links.check(param, param.default) == ""
    assert param.name not in links.canonical(page, links.SCHEMAS[page].defaults())


@pytest.mark.parametrize(("page", "param"), ALL_PARAMS, ids=IDS)
def test_non_default_value_round_trips_exactly(page, param, monkeypatch):
    # the round trip, not a hosted compute budget (the Training page's default view nearly fills its own)
    monkeypatch.setattr(links.training.deployment, "current", lambda: links.training.deployment.LOCAL)
    value = _other_value(param)
    assert value != param.default and links.check(param, value) == ""
    s = _applying(page, param.name, value)
    s, cross = links.constrain(page, s)
    query = links.canonical(page, s)
    assert query[param.name] == links.format_value(param, s[param.name])
    parsed, notices = links.parse(page, query)
    assert notices == [] and cross == []
    assert parsed == s
    assert all(type(parsed[k]) is type(s[k]) for k in s)


@pytest.mark.parametrize("page", PAGES)
def test_empty_link_gives_defaults_without_notices(page):
    assert links.parse(page, {}) == (links.SCHEMAS[page].defaults(), [])


def test_names_are_url_safe_and_unique_across_a_page():
    for page in PAGES:
        names = [p.name for p in links.SCHEMAS[page].params]
        assert len(names) == len(set(names))
        assert all(n.isascii() and n.replace("_", "").isalnum() and n == n.lower() for n in names)


# --- numbers: strict ASCII grammar -----------------------------------------------------------------

INT = Param("k", "int", 5, "k", lo=1, hi=100)
FLOAT = Param("x", "float", 0.5, "x", lo=-10.0, hi=10.0)


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e309", "0x10", "1_000", " 5", "5 ", "\u0661\u0662",
                                  "", "   ", "+", "-", "1e", ".", "5.0", "1e3", "5,0", "٥", "５", "5\n", "1/2"])
def test_int_grammar_rejects(text):
    value, notice = links.parse_value(INT, text)
    assert value == 5 and notice is not None and notice.param == "k"
    assert "default 5" in notice.used


@pytest.mark.parametrize(("text", "expected"), [("7", 7), ("+7", 7), ("007", 7), ("100", 100)])
def test_int_grammar_accepts(text, expected):
    assert links.parse_value(INT, text) == (expected, None)


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e309", "-1e309", "0x1p3", "1_0.5", " 1", "1.5 ",
                                  "\u0661.5", "", "e5", "1e+", "--1", "1..2", "0.5f", "½"])
def test_float_grammar_rejects(text):
    value, notice = links.parse_value(FLOAT, text)
    assert value == 0.5 and notice is not None and "default 0.5" in notice.used


@pytest.mark.parametrize(("text", "expected"), [("1", 1.0), ("1.", 1.0), (".25", 0.25), ("-2.5", -2.5),
                                                ("1e-3", 0.001), ("1E+1", 10.0), ("-0", 0.0), ("+3.75", 3.75)])
def test_float_grammar_accepts(text, expected):
    value, notice = links.parse_value(FLOAT, text)
    assert notice is None and value == expected and isinstance(value, float)
    assert math.copysign(1.0, value) == math.copysign(1.0, expected)


@pytest.mark.parametrize(("param", "text", "expected", "word"), [
    (INT, "1000", 100, "maximum"), (INT, "-3", 1, "minimum"), (INT, "99999999999999999999999", 100, "maximum"),
    (FLOAT, "1e300", 10.0, "maximum"), (FLOAT, "-11", -10.0, "minimum")])
def test_out_of_range_is_clamped_with_a_notice(param, text, expected, word):
    value, notice = links.parse_value(param, text)
    assert value == expected and type(value) is type(param.default)
    assert notice.param == param.name and word in notice.problem and str(expected) in notice.used


def test_off_ladder_value_snaps_to_nearest_rung_in_log_distance():
    p = links.SCHEMAS["geometry"].by_name["angle_n"]
    for asked in (150, 4, 7, 70, 9999, 20000, 1):
        expected = min(p.options, key=lambda o: abs(math.log(o / asked)))
        value, notice = links.parse_value(p, str(asked))
        assert value == expected
        assert notice is not None and str(expected) in notice.used


def test_float_canonical_text_is_bit_exact():
    for x in (0.1, 1 / 3, 2.0 ** -40, 1e-7, 9.999999999999998, 5e-324 * 2 ** 60):
        p = Param("x", "float", 0.5, "x", lo=0.0, hi=10.0)
        value, notice = links.parse_value(p, links.format_value(p, x))
        assert notice is None and value == x and value.hex() == x.hex()


# --- enums, lists, bools ---------------------------------------------------------------------------

CHOICE = Param("d", "choice", "normal", "d", options=("normal", "uniform"))
MULTI = Param("ds", "multi", ("normal",), "ds", options=("normal", "uniform", "orthogonal"))
BOOL = Param("b", "bool", False, "b")


@pytest.mark.parametrize(("text", "expected"), [("uniform", "uniform"), (" Uniform ", "uniform"), ("UNIFORM", "uniform")])
def test_choice_allow_list_after_strip_lower(text, expected):
    assert links.parse_value(CHOICE, text) == (expected, None)


@pytest.mark.parametrize("text", ["unif", "uniform2", "normal,uniform", "ｕｎｉｆｏｒｍ", "[x](//evil.example)"])
def test_choice_rejects_anything_else(text):
    value, notice = links.parse_value(CHOICE, text)
    assert value == "normal" and notice.param == "d" and "one of normal, uniform" in notice.problem


def test_multi_keeps_valid_items_and_reports_the_rest():
    assert links.parse_value(MULTI, "Uniform, orthogonal") == (("uniform", "orthogonal"), None)
    value, notice = links.parse_value(MULTI, "uniform,bogus")
    assert value == ("uniform",) and "'bogus'" in notice.problem
    value, notice = links.parse_value(MULTI, "normal,normal")
    assert value == ("normal",) and notice is not None
    value, notice = links.parse_value(MULTI, "bogus")
    assert value == ("normal",) and "default normal" in notice.used


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("ON", True), ("1", True), ("no", False), (" False ", False)])
def test_bool_words(text, expected):
    assert links.parse_value(BOOL, text) == (expected, None)


# --- whole links -----------------------------------------------------------------------------------

def test_unknown_repeated_reserved_and_inapplicable_parameters():
    raw = {"zz": "1", "seed": ["4", "7"], "embed": "true", "Embed_Options": "x",
           "kaiming_normal_mode": "fan_out", "scheme": "xavier_uniform"}
    s, notices = links.parse("initializers", raw)
    by_param = {n.param: n for n in notices}
    assert s["seed"] == 7 and "given 2 times" in by_param["seed"].problem
    assert "'zz'" in by_param and by_param["'zz'"].used == "ignored"
    assert "embed" not in str(notices).lower()
    assert s["kaiming_normal_mode"] == "fan_in" and "scheme is kaiming_normal" in by_param["kaiming_normal_mode"].problem
    assert "kaiming_normal_mode" not in links.canonical("initializers", s)


def test_untrusted_text_in_notices_is_escaped_and_short():
    evil = "![x](https://evil.example/p.png)$\\frac{1}{2}$\u202e" + "A" * 500
    s, notices = links.parse("geometry", {evil: "1", "gram_dist": evil, "seed": "١٢٣"})
    assert s == links.SCHEMAS["geometry"].defaults()
    for n in notices:
        text = str(n)
        assert _only_template_unicode(text) and len(text) < 400
        assert "\u202e" not in text


def test_value_length_and_field_count_limits():
    long = "1" * (links.MAX_VALUE_CHARS + 1)
    s, notices = links.parse("geometry", {"seed": long})
    assert s["seed"] == 0 and "longer than" in notices[0].problem
    raw = {f"k{i}": "1" for i in range(links.MAX_FIELDS + 10)}
    raw["seed"] = "3"  # beyond the field limit: not read
    s, notices = links.parse("geometry", raw)
    assert s["seed"] == 0
    assert notices[-1].param == "link" and f"more than {links.MAX_FIELDS}" in notices[-1].problem


def test_cross_field_budgets_clamp_with_a_notice():
    big = {"layer": "conv3d", "n_in": "4096", "n_out": "4096", "kernel": "9"}
    s, notices = links.parse("initializers", big)  # the shape is the question: kept (only its sample is cut)
    assert links.layer_shape(s) == (4096, 4096, 9, 9, 9) and notices == []
    s, notices = links.parse("geometry", {"rect_m": "4096", "rect_n": "4096"})
    assert s["rect_m"] * s["rect_n"] <= links.MAX_RECT_WEIGHTS and notices[-1].param == "rect_n"


def test_geometry_budget_counts_only_the_step_shown_and_each_param_gets_one_notice():
    """Issue 12 item 9: the sweep was cut because of the rectangular step's sizes, and a clamped then
    budgeted value got two notices whose first "using" was not the value used."""
    asked = {"step": "sweep", "sweep_max": "512", "rect_m": "4096", "rect_n": "4096"}
    s, notices = links.parse("geometry", asked)
    assert sum(links.geometry_seconds(s).values()) <= links.GEOMETRY_MAX_SECONDS  # the sweep alone fits...
    assert s["sweep_max"] == 512 and "sweep_max" not in [n.param for n in notices]  # ...so it is not cut
    assert s["rect_m"] * s["rect_n"] <= links.MAX_RECT_WEIGHTS  # the structural limit still holds
    s, notices = links.parse("geometry", {"step": "rectangular", "rect_m": "4096", "rect_n": "999999999"})
    mine = [n for n in notices if n.param == "rect_n"]
    assert len(mine) == 1 and mine[0].used.endswith(str(s["rect_n"]))
    assert "above the maximum" in mine[0].problem and "; then " in mine[0].problem


def test_validate_rejects_wrong_types_and_missing_names():
    good = links.SCHEMAS["geometry"].defaults()
    assert links.validate("geometry", good) == good
    for name, bad in (("seed", 1.5), ("seed", True), ("gram_dist", "gamma"), ("mp_ratio", math.nan),
                      ("sweep_dists", ["normal"]), ("sweep_dists", ()), ("angle_n", 150)):
        with pytest.raises(InitvizError, match=name):
            links.validate("geometry", {**good, name: bad})
    with pytest.raises(InitvizError, match="settings"):
        links.validate("geometry", {})
    with pytest.raises(InitvizError, match="page"):
        links.schema_of("nowhere")


def test_query_string_is_urlencoded_canonical():
    s = {**links.SCHEMAS["geometry"].defaults(), "sweep_dists": ("normal", "orthogonal"), "mp_ratio": 0.5}
    assert links.query_string("geometry", s) == "sweep_dists=normal,orthogonal&mp_ratio=0.5"


def test_notice_text_names_param_problem_and_replacement():
    assert str(Notice("seed", "'x' is not an integer", "using the default 0")) == \
        "seed: 'x' is not an integer — using the default 0."


def test_param_definitions_are_checked():
    with pytest.raises(InitvizError):
        Param("Bad-Name", "int", 0, "x")
    with pytest.raises(InitvizError):
        Param("x", "int", 10, "x", lo=0, hi=5)
    with pytest.raises(InitvizError):
        Param("x", "choice", "A", "x", options=("A", "b"))


# --- properties ----------------------------------------------------------------------------------

def _settings_strategy(page):
    schema = links.SCHEMAS[page]
    fields = {}
    for p in schema.params:
        if p.kind == "bool":
            fields[p.name] = st.booleans()
        elif p.kind == "choice":
            fields[p.name] = st.sampled_from(p.options)
        elif p.kind == "multi":
            fields[p.name] = st.lists(st.sampled_from(p.options), min_size=p.min_items, unique=True).map(tuple)
        elif p.options:
            fields[p.name] = st.sampled_from(p.options)
        elif p.kind == "int":
            fields[p.name] = st.integers(int(p.lo), int(p.hi))
        else:
            fields[p.name] = st.floats(p.lo, p.hi, allow_nan=False, allow_infinity=False)
    return st.fixed_dictionaries(fields)


@pytest.mark.parametrize("page", PAGES)
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_valid_settings_round_trip_through_a_link(page, data):
    s, _ = links.constrain(page, data.draw(_settings_strategy(page)))
    schema = links.SCHEMAS[page]
    expected = {k: (v if schema.by_name[k].applies(s) else schema.by_name[k].default) for k, v in s.items()}
    parsed, notices = links.parse(page, links.canonical(page, s))
    assert notices == []
    assert parsed == expected


@pytest.mark.parametrize("page", PAGES)
@hsettings(max_examples=80, deadline=None)
@given(raw=st.dictionaries(st.text(max_size=30), st.one_of(st.text(max_size=40), st.lists(st.text(max_size=20), max_size=3)),
                           max_size=8))
def test_arbitrary_links_never_raise_and_always_give_valid_settings(page, raw):
    s, notices = links.parse(page, raw)
    assert links.validate(page, s) == s
    assert all(_only_template_unicode(str(n)) for n in notices)


@pytest.mark.parametrize(("page", "param"), [(pg, p) for pg, p in ALL_PARAMS if p.when], ids=[i for i, (_, p) in zip(IDS, ALL_PARAMS) if p.when])
def test_every_conditional_parameter_can_apply(page, param):
    """A parameter whose condition names a value its page does not offer is dead weight in every link."""
    schema = links.SCHEMAS[page]
    for other, values in param.when:
        assert set(values) & set(schema.by_name[other].options), (param.name, other, values)


@pytest.mark.parametrize(("page", "query", "param", "used"), [
    ("propagation", "scheme=uniform&uniform_a=5&uniform_b=-5", "uniform_a", {"uniform_a": -5.0, "uniform_b": 5.0}),
    ("propagation", "scheme=trunc_normal&trunc_normal_a=3&trunc_normal_b=-3", "trunc_normal_a",
     {"trunc_normal_a": -3.0, "trunc_normal_b": 3.0}),
    ("initializers", "scheme=uniform&uniform_a=5&uniform_b=1", "uniform_a", {"uniform_a": 1.0, "uniform_b": 5.0}),
    ("initializers", "scheme=dirac", "layer", {"layer": "conv2d", "scheme": "dirac"}),
    ("initializers", "scheme=delta_orthogonal&n_in=64&n_out=128", "layer",
     {"layer": "conv2d", "scheme": "delta_orthogonal"}),
    ("initializers", "scheme=dirac&layer=conv2d&n_out=5&dirac_groups=3", "dirac_groups", {"dirac_groups": 1}),
    ("initializers", "scheme=dirac&layer=conv1d&n_out=12&dirac_groups=5", "dirac_groups", {"dirac_groups": 4}),
])
def test_values_valid_alone_but_not_together_get_a_notice_and_a_value_that_works(page, query, param, used):
    """Issue 12, item 9: such pairs were refused at compute time with no chart; now each is noticed and fixed."""
    from urllib.parse import parse_qsl

    from initviz.initializers import SCHEMES

    s, notices = links.parse(page, dict(parse_qsl(query)))
    assert [n.param for n in notices][:1] == [param] and "using" in notices[0].used
    assert {k: s[k] for k in used} == used
    shape = links.layer_shape(s) if page == "initializers" else (4, 4)
    SCHEMES[s["scheme"]].law(shape, **links.scheme_settings(s, s["scheme"]))  # the scheme accepts them together
