"""The progress display of long views (initviz.ui.progress), in AppTest: a long view computes through
the progress channel and keeps its result; a cancelled view shows what was computed, with a notice
and a button to compute it again. (Clicking Cancel mid-run needs a browser: tests/browser/
test_browser_progress.py.)"""

import initviz.ui.links.propagation as plan
from initviz import propagate
from initviz.ui import links, progress, propagation, workers
from test_app_support import APP, TIMEOUT, chart, open_page, text_of

LINK = {"seed": "5150512", "depth": "12", "width": "24"}  # a seed no other test caches


def _recording(monkeypatch, seed: str) -> list:
    """The ``channel`` of every propagation of ``seed`` sent to the workers (not the default page's)."""
    sent, submit = [], workers.submit

    def recording(fn, *args, **kwargs):
        if fn is propagate and kwargs["seed"] == int(seed):
            sent.append(kwargs.get("channel", False))
        return submit(fn, *args, **kwargs)

    monkeypatch.setattr(workers, "submit", recording)
    return sent


def test_a_long_view_computes_through_the_channel_and_keeps_its_result(monkeypatch):
    monkeypatch.setattr(progress, "PROGRESS_MIN_SECONDS", 0.0)  # every view counts as long
    sent = _recording(monkeypatch, LINK["seed"])
    at = open_page("propagation", LINK)
    assert sent == [True]
    assert len(chart(at, "act_var")["data"]) > 0 and "Cancelled" not in text_of(at)
    assert not at.get("progress")  # the bar is gone once the view is computed
    open_page("propagation", LINK)
    assert sent == [True]  # kept: not computed again


def test_a_quick_view_computes_without_the_channel(monkeypatch):
    sent = _recording(monkeypatch, "5150513")
    open_page("propagation", {**LINK, "seed": "5150513"})
    assert sent == [False]


def test_the_runs_of_a_compared_view_are_submitted_at_once_and_a_kept_run_is_not_computed_again(monkeypatch):
    """Every scheme's run goes to the workers before the page waits for any (they spread over the
    pool); the runs already kept come from the cache."""
    events, submit, result = [], workers.submit, workers.Call.result
    seed = 5150516  # a seed no other test caches

    def recording(fn, *args, **kwargs):
        if fn is propagate and kwargs["seed"] == seed:
            events.append(("submit", args[0].init))
        return submit(fn, *args, **kwargs)

    def waiting(call):
        events.append(("wait", None))
        return result(call)

    monkeypatch.setattr(workers, "submit", recording)
    monkeypatch.setattr(workers.Call, "result", waiting)
    link = {**LINK, "seed": str(seed), "compare": "orthogonal"}
    open_page("propagation", link)
    schemes = [init for kind, init in events if kind == "submit"]
    assert sorted(schemes) == ["orthogonal", "xavier_normal"]
    assert [kind for kind, _ in events][:2] == ["submit", "submit"]  # both sent before the first wait
    events.clear()
    open_page("propagation", {**link, "compare": "orthogonal,kaiming_normal"})
    assert [init for kind, init in events if kind == "submit"] == ["kaiming_normal"]  # the others are kept


def test_the_longest_run_of_a_compared_view_is_submitted_first(monkeypatch):
    """Runs go to the pool longest first by their model (:func:`.links.propagation.run_seconds`): at
    width 512 an orthogonal run's QRs (~10 normal draws per entry) outweigh the others' sampling, so it
    starts first rather than after the page's other schemes on two workers."""
    submitted, submit = [], workers.submit
    seed = 5150517  # a seed no other test caches

    def recording(fn, *args, **kwargs):
        if fn is propagate and kwargs["seed"] == seed:
            submitted.append(args[0].init)
        return submit(fn, *args, **kwargs)

    monkeypatch.setattr(workers, "submit", recording)
    link = {"seed": str(seed), "depth": "4", "width": "512", "batch": "16", "compare": "kaiming_normal,orthogonal"}
    at = open_page("propagation", link)
    assert submitted == ["orthogonal", "xavier_normal", "kaiming_normal"]  # then the page's order
    assert len(chart(at, "act_var")["data"]) > 0


class StoppedCall:
    """A worker call that Cancel stopped: what :class:`initviz.ui.workers.Call` then answers."""

    def __init__(self, result, done: int, total: int):
        self.result, self.report = result, {"done": done, "total": total}

    def stopped_result(self):
        return self.result

    def progress(self) -> dict:
        return self.report

    def stop(self) -> None:
        pass


def test_a_cancelled_view_shows_what_was_computed_and_can_be_computed_again(monkeypatch):
    from streamlit.testing.v1 import AppTest

    link = {**LINK, "seed": "5150514"}
    settings = plan.fit(links.parse("propagation", link)[0]).settings
    run = plan.runs(settings)[0]
    net, args = run.build(), dict(run.propagate, deadline=propagation.run_deadline())
    stopped = propagate(net, progress=lambda done, total: done >= 5, **args)  # what a Cancel at layer 5 returns
    assert stopped.truncated
    key = ("propagation", ((net, tuple(sorted(args.items()))),))
    flight = progress._Flight(key)
    flight.calls[0], flight.units[0] = [StoppedCall(stopped, 5, 12)], [12]
    sent = _recording(monkeypatch, link["seed"])
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("initviz/ui/pages/propagation.py")
    at.query_params.update(link)
    at.session_state[progress.FLIGHT_KEY] = flight  # as the run that Cancel interrupted left it
    at.session_state[progress.CANCELLED_KEY] = key  # as Cancel's callback sets it
    at.run()
    assert not at.exception
    assert "Cancelled at layer 5 of 12" in text_of(at) and sent == []  # nothing computed: the partial is shown
    assert "stopped after layer 5 (cancelled)" in str(chart(at, "act_var")["layout"])
    y = chart(at, "act_var")["data"][0]["y"]
    assert sum(v == v for v in y) == 5  # the five layers computed (NaN = absent past them)
    at.button(key="progress_again").click().run()
    assert not at.exception and "Cancelled" not in text_of(at) and sent == [False]
    y = chart(at, "act_var")["data"][0]["y"]
    assert sum(v == v for v in y) == 12


def test_a_cancelled_width_view_draws_the_widths_it_completed():
    from streamlit.testing.v1 import AppTest

    from initviz import coord_check
    from initviz.ui.links import width as width_plan

    link = {"max_width": "1024", "n_seeds": "1", "steps": "2", "seed": "5150515"}  # widths 128…1024
    settings = width_plan.fit_view(links.parse("width", link)[0]).settings
    kwargs = tuple(tuple(width_plan.check_kwargs(settings, p).items()) for p in width_plan.parametrisations(settings))
    frames = [coord_check(**dict(k), progress=lambda done, total: done >= 2) for k in kwargs]  # 2 widths of 4
    assert all(f.attrs["truncated"] for f in frames)
    flight = progress._Flight(("width", kwargs))
    flight.calls[0], flight.units[0] = [StoppedCall(f, 2, 4) for f in frames], [4, 4]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("initviz/ui/pages/width.py")
    at.query_params.update(link)
    at.session_state[progress.FLIGHT_KEY] = flight
    at.session_state[progress.CANCELLED_KEY] = ("width", kwargs)
    at.run()
    assert not at.exception
    assert "Cancelled at run 4 of 8" in text_of(at)
    widths = {x for t in chart(at, "coord_mup")["data"] for x in t["x"]}
    assert widths == {128.0, 256.0}  # the two widths completed (of 128, 256, 512, 1024)
