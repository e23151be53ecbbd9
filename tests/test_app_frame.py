"""The app frame (AppTest): the link round trip, notices, page switches, reset, the error catch-all."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from initviz.ui import links, nav
from test_app_support import APP, TIMEOUT, open_page, text_of

GEOMETRY = "initviz/ui/pages/geometry.py"
INITIALIZERS = "initviz/ui/pages/initializers.py"


def _run(query: dict | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_bare_url_opens_the_default_page_with_defaults_and_a_clean_url():
    at = _run()
    assert [t.value for t in at.title] == [nav.entry(nav.DEFAULT_PAGE).title]
    assert dict(at.query_params) == {}
    assert len(at.get("plotly_chart")) > 0  # meaningful charts at once


def test_a_link_sets_the_controls_and_the_url_keeps_only_canonical_non_defaults():
    at = open_page("geometry", {"step": "gram", "gram_dist": " Uniform ", "seed": "0", "angle_n": "1000"})
    assert at.selectbox(key="gram_dist").value == "uniform"
    assert dict(at.query_params) == {"step": "gram", "angle_n": "1000", "gram_dist": "uniform"}
    at.get("segmented_control")[0].set_value("vectors").run()  # the other step's control kept the link's value
    assert at.select_slider(key="angle_n").value == 1000
    assert dict(at.query_params) == {"angle_n": "1000", "gram_dist": "uniform"}
    assert "could not be used" not in text_of(at)


def test_invalid_link_shows_what_was_used_instead_as_plain_text():
    evil = "[click](https://evil.example)"
    at = open_page("geometry", {"step": "gram", "seed": "1e3", "gram_n": "100", "gram_dist": evil, "bogus": "1",
                                "mp_ratio": "nan"})
    notices = [t.value for t in at.text]
    joined = "\n".join(notices)
    assert "seed: '1e3' is not an integer — using the default 0." in joined
    assert "gram_n: 100 is not one of the allowed values" in joined and "using the nearest, 128" in joined
    assert "gram_dist: '[click](https://evil.example)' is not one of" in joined
    assert "'bogus': not a parameter of the geometry page — ignored." in joined
    assert "mp_ratio: 'nan' is not a decimal number" in joined
    assert any("could not be used as given" in w.value for w in at.warning)
    assert not any(evil in m.value for m in at.markdown)  # untrusted text is never rendered as Markdown
    assert at.select_slider(key="gram_n").value == 128
    assert dict(at.query_params) == {"step": "gram", "gram_n": "128"}


def test_notices_go_once_the_user_changes_a_control():
    at = open_page("geometry", {"seed": "x"})
    assert "seed: 'x' is not an integer" in text_of(at)
    at.number_input(key="seed").set_value(5).run()
    assert "is not an integer" not in text_of(at)
    assert dict(at.query_params) == {"seed": "5"}


def test_controls_write_the_canonical_link_and_survive_page_switches():
    at = open_page("geometry", {"step": "spectrum"})
    at.selectbox(key="mp_dist").set_value("rademacher").run()
    at.slider(key="mp_ratio").set_value(0.5).run()
    assert dict(at.query_params) == {"step": "spectrum", "mp_ratio": "0.5", "mp_dist": "rademacher"}
    at.switch_page(INITIALIZERS).run()
    at.selectbox(key="scheme").set_value("orthogonal").run()
    assert dict(at.query_params) == {"scheme": "orthogonal"}
    at.query_params.clear()  # the browser clears the query on a navigation click
    at.switch_page(GEOMETRY).run()
    assert at.selectbox(key="mp_dist").value == "rademacher" and at.slider(key="mp_ratio").value == 0.5
    assert dict(at.query_params) == {"step": "spectrum", "mp_ratio": "0.5", "mp_dist": "rademacher"}


def test_reset_restores_the_defaults():
    at = open_page("geometry", {"step": "rectangular", "seed": "9", "rule": "fan_avg"})
    assert at.radio(key="rule").value == "fan_avg"
    at.button(key="reset_page").click().run()
    assert at.number_input(key="seed").value == 0 and at.get("segmented_control")[0].value == "vectors"
    assert dict(at.query_params) == {}
    at.get("segmented_control")[0].set_value("rectangular").run()
    assert at.radio(key="rule").value == "fan_out"


def test_the_link_box_shows_the_page_path_and_canonical_query():
    at = open_page("geometry", {"rule": "FAN_IN", "seed": "3"})
    boxes = [json.loads(e.proto.json) for e in at.sidebar
             if getattr(e, "proto", None) is not None and getattr(e.proto, "component_name", "") == "initviz_link_box"]
    assert boxes == ["/geometry?rule=fan_in&seed=3"]  # the link box's data: the link it shows as text


def _page_that_fails():
    import streamlit as st

    from initviz.errors import invalid
    from initviz.ui.frame import guard

    with guard("test: initviz error"):
        raise invalid("width", "be positive", -1)
    with guard("test: bug"):
        raise ZeroDivisionError("secret internal detail /srv/app.py line 3")
    st.write("after both")


def test_guard_shows_initviz_errors_plainly_and_hides_bugs_behind_a_reference(caplog):
    at = AppTest.from_function(_page_that_fails, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "Argument `width` must be positive. Received: width=-1" in [t.value for t in at.text]
    errors = [e.value for e in at.error]
    assert len(errors) == 2 and "reference" in errors[1]
    assert "secret internal detail" not in text_of(at)
    ref = errors[1].split("reference ")[1][:8]
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)
    assert "after both" in text_of(at)


@pytest.mark.parametrize("page", [p.path for p in nav.PAGES])
def test_every_page_has_a_schema_and_a_script(page):
    assert page in links.SCHEMAS
    assert (__import__("pathlib").Path(APP).parent / nav.entry(page).script).is_file()


def test_streamlit_embed_parameters_pass_through_untouched():
    at = open_page("geometry", {"embed": "true", "seed": "2"})
    assert dict(at.query_params) == {"embed": "true", "seed": "2"}
    assert "embed" not in text_of(at).lower().replace("embedding", "")
