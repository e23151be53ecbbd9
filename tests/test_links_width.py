"""The Width page's link: what a view asks the core for (:func:`check_kwargs`, by hand from the
module's docstring) and the hosted budget (fewer seeds, never other widths or steps)."""

from unittest import mock

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from initviz.ui import deployment, links
from initviz.ui.links import width as plan


def _view(**changes):
    return {**links.SCHEMAS["width"].defaults(), **changes}


def test_the_default_view_is_mups_check_of_widths_2_7_to_2_10():
    kwargs = plan.check_kwargs(_view(), "mup")
    assert kwargs["widths"] == (128, 256, 512, 1024)
    assert (kwargs["optimizer"], kwargs["lr"], kwargs["steps"], kwargs["n_seeds"]) == ("sgd", 0.1, 3, 3)
    assert kwargs["readout_zero"] is True and kwargs["learning_rates"] is None and kwargs["weight_decay"] == 0.0
    assert plan.parametrisations(_view()) == ("mup", "sp")
    assert plan.parametrisations(_view(parametrisation="sp")) == ("sp",)


def test_adam_uses_its_own_rate_and_the_readout_toggle_is_the_chosen_checks_only():
    view = _view(optimizer="adam", adam_lr=0.002, readout_zero=False, max_width=256)
    mup, sp = plan.check_kwargs(view, "mup"), plan.check_kwargs(view, "sp")
    assert mup["lr"] == sp["lr"] == 0.002 and mup["widths"] == (128, 256)
    assert mup["readout_zero"] is False and sp["readout_zero"] is True


def test_the_cost_counts_both_checks_and_grows_with_the_sample():
    one = plan.width_cost(_view(parametrisation="sp"))
    assert plan.width_cost(_view()) == 2 * one
    assert plan.width_cost(_view(parametrisation="sp", n_seeds=1)) * 3 == one  # the default is 3 seeds


@pytest.fixture
def hosted(monkeypatch):
    monkeypatch.setattr(deployment, "current", lambda: deployment.HOSTED)


def test_a_hosted_view_over_the_budget_draws_fewer_seeds_and_keeps_the_widths(hosted):
    assert plan.fit_view(_view()).fits and not plan.fit_view(_view()).cut
    big = _view(max_width=2048, steps=5, n_seeds=5)
    fitted = plan.fit_view(big)
    assert fitted.fits and fitted.over > 1 and [n.param for n in fitted.cut] == ["n_seeds"]
    used = fitted.settings
    assert 1 <= used["n_seeds"] < 5 and plan.width_cost(used) <= plan.PAGE_MAX_WORK
    assert plan.width_cost({**used, "n_seeds": used["n_seeds"] + 1}) > plan.PAGE_MAX_WORK
    assert {k: v for k, v in used.items() if k != "n_seeds"} == {k: v for k, v in big.items() if k != "n_seeds"}


def test_one_seed_of_the_largest_view_fits(hosted):
    schema = links.SCHEMAS["width"]
    largest = _view(max_width=max(plan.MAX_WIDTHS), steps=schema.by_name["steps"].hi, n_seeds=1)
    assert plan.width_cost(largest) <= plan.PAGE_MAX_WORK


def test_coupled_weight_decay_needs_adam():
    settings, notices = links.parse("width", {"mistake": "coupled_wd"})
    assert settings["mistake"] == "none" and [n.param for n in notices] == ["mistake"]
    settings, notices = links.parse("width", {"mistake": "coupled_wd", "optimizer": "adam"})
    assert settings["mistake"] == "coupled_wd" and notices == []


# --- the learning-rate transfer view -----------------------------------------------------------------

def test_the_default_transfer_view_sweeps_mup_and_sp_over_the_checks_widths():
    view = _view(view="transfer")
    kwargs = plan.sweep_kwargs(view, "mup")
    assert kwargs["presets"] == ("mup",) and kwargs["widths"] == (128, 256, 512, 1024)
    assert kwargs["log2_lrs"] == tuple(range(view["sweep_from"], view["sweep_to"] + 1))
    assert (kwargs["optimizer"], kwargs["steps"], kwargs["n_seeds"], kwargs["batch"]) == ("sgd", 10, 1, 32)
    adam = _view(view="transfer", optimizer="adam", adam_sweep_from=-9, adam_sweep_to=-6, readout_zero=False)
    assert plan.sweep_kwargs(adam, "mup")["log2_lrs"] == (-9, -8, -7, -6)
    assert plan.sweep_kwargs(adam, "mup")["readout_zero"] is False and plan.sweep_kwargs(adam, "sp")["readout_zero"]


def test_a_reversed_rate_range_is_swapped_and_a_single_rate_is_refused():
    settings, notices = links.parse("width", {"view": "transfer", "sweep_from": "2", "sweep_to": "-3"})
    assert (settings["sweep_from"], settings["sweep_to"]) == (-3, 2) and [n.param for n in notices] == ["sweep_from"]
    settings, notices = links.parse("width", {"view": "transfer", "sweep_from": "-2", "sweep_to": "-2"})
    defaults = links.SCHEMAS["width"].defaults()
    assert (settings["sweep_from"], settings["sweep_to"]) == (defaults["sweep_from"], defaults["sweep_to"])
    assert [n.param for n in notices] == ["sweep_from"]
    _, notices = links.parse("width", {"sweep_steps": "10", "steps": "2"})  # the check's view: the sweep's is ignored
    assert [n.param for n in notices] == ["sweep_steps"]


def test_the_transfer_cost_grows_with_every_size_of_the_sweep():
    base = _view(view="transfer")
    cost = plan.transfer_cost(base)
    assert plan.transfer_cost(_view(view="transfer", parametrisation="sp")) * 2 == cost
    assert plan.transfer_cost(_view(view="transfer", sweep_seeds=2)) == 2 * cost
    for bigger in (dict(sweep_steps=40), dict(max_width=2048), dict(sweep_to=2)):
        assert plan.transfer_cost(_view(view="transfer", **bigger)) > cost


def test_the_default_transfer_views_fit_as_asked(hosted):
    for view in (_view(view="transfer"), _view(view="transfer", optimizer="adam")):
        fitted = plan.fit_view(view)
        assert fitted.fits and not fitted.cut and fitted.settings == view


def test_a_hosted_sweep_over_the_budget_trains_fewer_seeds_and_keeps_widths_rates_and_presets(hosted):
    big = _view(view="transfer", sweep_seeds=4, sweep_steps=40)
    fitted = plan.fit_view(big)
    assert fitted.fits and fitted.over > 1 and [n.param for n in fitted.cut] == ["sweep_seeds"]
    used = fitted.settings
    assert 1 <= used["sweep_seeds"] < 4 and plan.transfer_cost(used) <= plan.TRANSFER_MAX_WORK
    assert plan.transfer_cost({**used, "sweep_seeds": used["sweep_seeds"] + 1}) > plan.TRANSFER_MAX_WORK
    assert {k: v for k, v in used.items() if k != "sweep_seeds"} == {k: v for k, v in big.items() if k != "sweep_seeds"}


def test_a_local_sweep_beyond_the_cores_limit_is_not_computed(monkeypatch):
    from initviz.transfer import MAX_SWEEP_WORK

    monkeypatch.setattr(deployment, "current", lambda: deployment.LOCAL)
    assert plan.fit_view(_view(view="transfer", sweep_seeds=4, sweep_steps=40)).fits  # over the hosted budget only

    huge = _view(view="transfer", max_width=2048, sweep_steps=200, sweep_from=-14, sweep_to=4)
    assert plan.transfer_cost(huge) > MAX_SWEEP_WORK
    fitted = plan.fit_view(huge)
    assert not fitted.fits and fitted.choices
    assert all(plan.transfer_cost(choice) <= MAX_SWEEP_WORK for _, choice in fitted.choices)


@hsettings(max_examples=120, deadline=None)
@given(optimizer=st.sampled_from(["sgd", "adam"]), lo=st.integers(-20, 6), hi=st.integers(-20, 6),
       steps=st.integers(0, 400), seeds=st.integers(0, 9), max_width=st.sampled_from(["256", "512", "1024", "2048"]),
       parametrisation=st.sampled_from(["sp", "ntk", "mup"]))
def test_a_transfer_link_never_computes_more_than_the_budget(optimizer, lo, hi, steps, seeds, max_width,
                                                             parametrisation):
    """What the page computes of any transfer link — the view with fewer seeds, or else each choice it
    offers — is within the hosted budget, and the cut keeps the widths, rates and parametrisations."""
    prefix = "" if optimizer == "sgd" else "adam_"
    raw = {"view": "transfer", "optimizer": optimizer, f"{prefix}sweep_from": str(lo), f"{prefix}sweep_to": str(hi),
           "sweep_steps": str(steps), "sweep_seeds": str(seeds), "max_width": max_width,
           "parametrisation": parametrisation}
    s, _ = links.parse("width", raw)
    with mock.patch.object(deployment, "current", lambda: deployment.HOSTED):
        fitted = plan.fit_view(s)
        computed = [fitted.settings] if fitted.fits else [c for _, c in fitted.choices]
        assert fitted.fits or fitted.choices or plan.transfer_cost({**s, "sweep_seeds": 1, "sweep_steps": 5}) > \
            plan.TRANSFER_MAX_WORK
        assert all(plan.transfer_cost(c) <= plan.TRANSFER_MAX_WORK for c in computed)
    if fitted.fits:
        assert 2 <= len(plan.log2_rates(fitted.settings)) and plan.log2_rates(fitted.settings) == plan.log2_rates(s)
        assert (plan.widths(fitted.settings), plan.parametrisations(fitted.settings)) == (plan.widths(s),
                                                                                         plan.parametrisations(s))
