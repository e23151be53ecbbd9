"""The limits setting (issue 10): INITVIZ_LIMITS chooses hosted (the default) or local limits; the
core's own default is the local budget, the app passes the hosted one on a public instance."""

import logging

import pytest

from initviz import propagate
from initviz.limits import Budget
from initviz.ui import deployment, links, workers
from test_app_support import chart, open_page, text_of

# 4 schemes × 8 seeds × 40 layers = 1,280 layers > PAGE_MAX_LAYERS = 1,024: over the hosted page budget,
# yet tiny (width 8, batch 32)
OVER = {"depth": "40", "width": "8", "batch": "32", "n_seeds": "8", "seed": "515151",
        "compare": "kaiming_normal,orthogonal,lecun_normal"}


def test_the_setting_comes_from_the_environment_with_hosted_as_the_default(monkeypatch, caplog):
    monkeypatch.delenv(deployment.SETTING, raising=False)
    assert deployment.current() is deployment.HOSTED  # no variable, no secret
    monkeypatch.setenv(deployment.SETTING, " Local ")
    assert deployment.current() is deployment.LOCAL
    monkeypatch.setenv(deployment.SETTING, "hosted")
    assert deployment.current() is deployment.HOSTED
    with caplog.at_level(logging.WARNING, logger="initviz.ui"):
        monkeypatch.setenv(deployment.SETTING, "unlimited")
        assert deployment.current() is deployment.HOSTED  # the safe side
    assert "INITVIZ_LIMITS='unlimited' is not one of hosted, local" in caplog.text
    assert deployment.HOSTED.budget == Budget.hosted() and deployment.LOCAL.budget == Budget.local()


def test_a_streamlit_secret_sets_it_when_the_environment_does_not(monkeypatch):
    monkeypatch.delenv(deployment.SETTING, raising=False)
    monkeypatch.setattr(deployment, "_secret", lambda: "local")
    assert deployment.current() is deployment.LOCAL
    monkeypatch.setenv(deployment.SETTING, "hosted")  # the environment wins
    assert deployment.current() is deployment.HOSTED


def test_links_keep_the_question_on_a_local_instance_and_are_budgeted_on_a_hosted_one(monkeypatch):
    hosted, notices = links.parse("propagation", OVER)
    assert notices == [] and hosted["n_seeds"] == 8  # the link keeps the question; the page computes fewer seeds
    fitted = links.fit(hosted)
    assert fitted.fits and fitted.settings["n_seeds"] < 8 and [n.param for n in fitted.cut] == ["n_seeds"]
    assert {k: fitted.settings[k] for k in ("depth", "width", "compare")} == {k: hosted[k] for k in
                                                                             ("depth", "width", "compare")}
    big = {"step": "sweep", "sweep_max": "4096", "sweep_dists": "normal,uniform,rademacher,trunc_normal"}
    asked = links.parse("geometry", big)[0]
    assert asked["sweep_max"] == 4096 and not links.geometry.fit_view(asked).fits  # kept; choices offered
    monkeypatch.setenv(deployment.SETTING, "local")
    local, notices = links.parse("propagation", OVER)
    assert notices == [] and all(local[k] == int(v) for k, v in OVER.items() if k not in ("compare",))
    assert links.fit(local).settings == local and links.fit(local).cut == ()
    assert links.geometry.fit_view(asked).fits
    assert links.parse("geometry", big) == ({**links.parse("geometry", {})[0], "step": "sweep", "sweep_max": 4096,
                                             "sweep_dists": tuple(big["sweep_dists"].split(","))}, [])


def test_the_app_sends_the_deployments_budget_to_the_core(monkeypatch):
    sent = []
    submit = workers.submit  # every worker call, workers.run's too

    def recording(fn, *args, **kwargs):
        if fn is propagate:
            sent.append((kwargs["budget"], kwargs["deadline"]))
        return submit(fn, *args, **kwargs)

    monkeypatch.setattr(workers, "submit", recording)
    at = open_page("propagation", OVER)
    assert links.propagation.FIT_PROBLEM in text_of(at)
    assert sent and {b for b, _ in sent} == {Budget.hosted()} and {d for _, d in sent} == {5.0}
    sent.clear()
    monkeypatch.setenv(deployment.SETTING, "local")
    at = open_page("propagation", OVER)
    assert links.propagation.FIT_PROBLEM not in text_of(at)
    assert len(sent) >= 4 and {b for b, _ in sent} == {Budget.local()} and {d for _, d in sent} == {150.0}
    assert len(chart(at, "act_var")["layout"]["xaxis"]["range"]) == 2
    assert chart(at, "act_var")["layout"]["xaxis"]["range"] == [0.5, 40.5]  # the depth asked for


@pytest.mark.parametrize("env,expected", [(None, "local"), ("hosted", "hosted")])
def test_make_run_serves_local_limits_unless_the_shell_says_otherwise(env, expected):
    """``make run`` (someone on their own machine) is local; a host's environment can still choose."""
    import os
    import subprocess
    from pathlib import Path

    environ = {k: v for k, v in os.environ.items() if k not in (deployment.SETTING, "MAKEFLAGS", "MAKELEVEL")}
    if env:
        environ[deployment.SETTING] = env
    dry = subprocess.run(["make", "-n", "-W", "requirements.txt", "run"], cwd=Path(__file__).resolve().parents[1],
                         env=environ, capture_output=True, text=True, timeout=30, check=True).stdout
    line = next(x for x in dry.splitlines() if "streamlit run app.py" in x)
    assert line.startswith(f"{deployment.SETTING}={expected} ")
