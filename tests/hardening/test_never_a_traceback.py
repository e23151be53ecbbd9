"""Never a traceback in the browser (issue 4): ``showErrorDetails = "none"`` in the config *and* in
the script (a host may force ``"stacktrace"``); a failure inside a page is shown as a short message
with a reference id while the server log gets the traceback; a failure outside every guard still
shows no detail."""

import logging
import re
import tomllib
from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from test_app_support import APP, text_of

SECRET = "secret-detail /srv/initviz/app.py line 42"
TRACE = re.compile(r"Traceback|File \"|line \d+|\.py")


def _everything(at) -> str:
    parts = [text_of(at)]
    for e in at.exception:
        parts += [e.value or "", e.message or "", "\n".join(e.stack_trace)]
    return "\n".join(parts)


def test_the_config_file_hides_error_details():
    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_the_script_overrides_a_host_that_forces_stack_traces():
    streamlit.config.set_option("client.showErrorDetails", "stacktrace")  # what a host may force
    try:
        at = AppTest.from_file(APP, default_timeout=30).run()
        assert not at.exception
        assert streamlit.config.get_option("client.showErrorDetails") == "none"
    finally:
        streamlit.config.set_option("client.showErrorDetails", "none")


def test_a_failing_page_shows_a_reference_and_the_log_gets_the_traceback(monkeypatch, caplog):
    import initviz.ui.propagation as page

    def broken(settings):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(page, "runs_of", broken)
    with caplog.at_level(logging.ERROR, logger="initviz.ui"):
        at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "reference" in errors[0]
    ref = re.search(r"reference ([0-9a-f]{8})", errors[0]).group(1)
    shown = _everything(at)
    assert SECRET not in shown and "RuntimeError" not in shown and not TRACE.search("\n".join(errors))
    logged = [r for r in caplog.records if ref in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info and SECRET in str(logged[0].exc_info[1])
    assert len(at.get("plotly_chart")) == 0 and at.title[0].value == "Propagation"  # the rest of the page still drew


def test_a_failure_outside_every_guard_shows_no_detail(monkeypatch):
    from initviz.ui import links

    def broken(page, raw):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(links, "parse", broken)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert len(at.exception) == 1  # Streamlit's own last resort
    shown = _everything(at)
    assert SECRET not in shown and not TRACE.search(shown)


@pytest.mark.parametrize("mode", ["full", "stacktrace"])
def test_the_detail_check_can_fail(monkeypatch, mode):
    """With details on (what the app must prevent), the same failure does show them: the checks above see it."""
    from initviz.ui import links

    def broken(page, raw):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(links, "parse", broken)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    streamlit.config.set_option("client.showErrorDetails", mode)  # after app.py set "none"
    try:
        monkeypatch.setattr(streamlit, "set_option", lambda *a, **k: None)  # the app cannot reset it now
        at.run()
        shown = _everything(at)
    finally:
        monkeypatch.undo()
        streamlit.config.set_option("client.showErrorDetails", "none")
    assert SECRET in shown or TRACE.search(shown)
