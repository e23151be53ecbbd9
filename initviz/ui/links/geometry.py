"""The Geometry page's link: the steps of Su Jianlin's geometric argument (random vectors, WᵀW, the sweep over
n, the Marchenko–Pastur spectrum, rectangular W) with the sizes each step draws, kept within the
core's limits and, on a hosted instance (:mod:`initviz.ui.deployment`), within a view's CPU time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...geometry import (ORTHOGONAL_SWEEP_MAX, SPECTRUM_MAX_WORK, norm_ratio_seconds, spectrum_seconds,
                        sweep_seconds)
from .. import deployment
from .budget import Fit, as_asked
from .common import seed
from .grammar import Notice, PageSchema, Param, Settings

DISTRIBUTIONS = ("normal", "uniform", "rademacher", "trunc_normal", "orthogonal")
DISTRIBUTION_LABELS = ("Normal", "Uniform", "Rademacher ±s", "Truncated normal (±2σ)", "Orthogonal")
RULES = ("fan_out", "fan_in", "fan_avg")
"""URL values of the variance rules 1/m, 1/n, 2/(m+n) (``initviz.randmat.RULES``)."""
RULE_LABELS = ("1/m (fan_out)", "1/n (fan_in)", "2/(m+n) (fan_avg)")
ANGLE_DIMS = (2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
GRAM_SIZES = (8, 16, 32, 64, 128)
SWEEP_MAX = (256, 512, 1024, 2048, 4096)
MP_M = (100, 200, 400, 800, 1600)
MAX_RATIO = 4.0
MAX_RECT = 4096
MAX_RECT_WEIGHTS = 2 ** 22
"""The rectangular-case samples hold at most 2²² weights per matrix (m·n)."""


def _constrain_rect(settings: Settings) -> tuple[Settings, list[Notice]]:
    m, n = settings["rect_m"], settings["rect_n"]
    if m * n <= MAX_RECT_WEIGHTS:
        return settings, []
    settings["rect_n"] = MAX_RECT_WEIGHTS // m
    return settings, [Notice("rect_n", f"a {m}×{n} matrix has {m * n:,} entries, more than "
                             f"{MAX_RECT_WEIGHTS:,}", f"using n={settings['rect_n']}")]


GEOMETRY_MAX_SECONDS = 2.2
"""Modelled CPU seconds (:func:`geometry_seconds`) of the step one Geometry view shows — enough for
one i.i.d. sweep to n = 4096; drawing adds < 1 s. A link asking for more gets that step's size
shrunk (every step at its maximum took 27 s of CPU together)."""


def spectrum_shape(settings: Mapping[str, Any]) -> tuple[int, int]:
    """(m, n) of the spectrum step's matrices: ``mp_m`` rows and n = λ·m columns (at least 1)."""
    m = settings["mp_m"]
    return m, max(1, round(settings["mp_ratio"] * m))


def geometry_seconds(settings: Mapping[str, Any]) -> dict[str, float]:
    """Modelled CPU seconds of the step a Geometry view shows (the page computes that step only; the
    core's model, :mod:`initviz.geometry.timing`), keyed by the parameter that shrinks it: the sweep
    (``sweep_max``), the spectrum (``mp_m``) or the ‖Wx‖/‖x‖ samples (``rect_n``); empty for the
    steps whose sizes are small by construction (vectors, WᵀW)."""
    step = settings["step"]
    if step == "sweep":
        return {"sweep_max": sweep_seconds(settings["sweep_max"], settings["sweep_dists"])}
    if step == "spectrum":
        return {"mp_m": spectrum_seconds(*spectrum_shape(settings), settings["mp_dist"])}
    if step == "rectangular":
        return {"rect_n": norm_ratio_seconds(settings["rect_m"], settings["rect_n"], settings["rect_dist"])}
    return {}


def _smaller(settings: Settings, name: str) -> bool:
    """Lower ``name`` one step (its ladder's rung below, or half of ``rect_n``); False at the bottom."""
    if name == "rect_n":
        if settings[name] == 1:
            return False
        settings[name] //= 2
        return True
    ladder = SWEEP_MAX if name == "sweep_max" else MP_M
    i = ladder.index(settings[name])
    if i == 0:
        return False
    settings[name] = ladder[i - 1]
    return True


def _constrain_geometry(settings: Settings) -> tuple[Settings, list[Notice]]:
    """The rectangular matrix's size (:func:`_constrain_rect`) and the spectrum within the core's
    ``geometry.SPECTRUM_MAX_WORK`` (min(m, n)³, by fewer rows at the same λ): structural limits.
    The compute budget is not a rule of the link: the page computes :func:`fit_view` of the
    settings as asked."""
    settings, notices = _constrain_rect(settings)
    asked = settings["mp_m"]
    while min(spectrum_shape(settings)) ** 3 > SPECTRUM_MAX_WORK:
        _smaller(settings, "mp_m")
    if settings["mp_m"] != asked:
        notices.append(Notice("mp_m", f"{asked} rows at λ = {settings['mp_ratio']:g} make min(m, n)³ more "
                              f"than {SPECTRUM_MAX_WORK:,}", f"using m={settings['mp_m']}"))
    return settings, notices


def _excess(settings: Mapping[str, Any]) -> float:
    return sum(geometry_seconds(settings).values()) / GEOMETRY_MAX_SECONDS


SIZE_LABELS = {"sweep_max": "largest n", "mp_m": "rows m", "rect_n": "columns n"}


def fit_view(settings: Mapping[str, Any]) -> Fit:
    """The step shown within :data:`GEOMETRY_MAX_SECONDS` on a hosted instance (a local one computes
    it as asked). The sizes are the question (n, m, the shape of W), so over the budget nothing is
    computed and :attr:`Fit.choices` offers one change each that fits: the largest smaller size of the
    step, and for the sweep the cheapest distributions that fit at the size asked."""
    whole = as_asked(settings, _excess)
    if whole.fits:
        return whole
    asked, out = whole.asked, []
    for name in geometry_seconds(asked):
        trial = dict(asked)
        while _smaller(trial, name):
            if _excess(trial) <= 1:
                out.append((f"{SIZE_LABELS[name]} {trial[name]}", trial))
                break
    if asked["step"] == "sweep" and len(asked["sweep_dists"]) > 1:
        order = sorted(asked["sweep_dists"], key=lambda d: sweep_seconds(asked["sweep_max"], (d,)))
        for keep in range(len(order) - 1, 0, -1):
            kept = tuple(d for d in asked["sweep_dists"] if d in order[:keep])
            trial = {**asked, "sweep_dists": kept}
            if _excess(trial) <= 1:
                out.append((f"distributions {', '.join(kept)} at largest n {asked['sweep_max']}", trial))
                break
    return Fit(asked, False, asked, (), whole.over, tuple(out))


def sweep_sizes(settings: Mapping[str, Any]) -> tuple[int, ...]:
    """The "Largest n" values the control offers with the chosen distributions: every rung on a local
    instance; on a hosted one the rungs whose sweep fits :data:`GEOMETRY_MAX_SECONDS` (at least the
    first) — and the value asked, if a link asked for more (the page then offers choices)."""
    if not deployment.current().page_budgets:
        return SWEEP_MAX
    return tuple(n for n in SWEEP_MAX if n == SWEEP_MAX[0] or n == settings["sweep_max"]
                 or sweep_seconds(n, settings["sweep_dists"]) <= GEOMETRY_MAX_SECONDS)


def _dist(name: str, default: str, label: str) -> Param:
    return Param(name, "choice", default, label, options=DISTRIBUTIONS, labels=DISTRIBUTION_LABELS,
                 help="entry distribution; every one is scaled to the same variance")


GEOMETRY_STEPS = ("vectors", "gram", "sweep", "spectrum", "rectangular")
"""The Geometry page's steps, in the order of the argument; the page computes only the one shown."""


SCHEMA = PageSchema("geometry", (
    Param("step", "choice", "vectors", "Step", options=GEOMETRY_STEPS,
          labels=("1 · Random vectors", "2 · WᵀW ≈ I", "3 · Entrywise, not as an operator",
                  "4 · Marchenko–Pastur", "5 · Rectangular W"),
          widget="segmented", help="which step of the argument the page computes and draws"),
    Param("angle_n", "int", 100, "Dimension n", options=ANGLE_DIMS,
          help="dimension of the two random vectors"),
    Param("angle_fixed", "bool", False, "Whole range 0–180°",
          help="keep the angle axis at 0–180° for every n, so the concentration at 90° shows as n grows"),
    Param("gram_n", "int", 32, "Matrix size n", options=GRAM_SIZES, help="W is n×n with variance 1/n"),
    _dist("gram_dist", "normal", "Distribution"),
    Param("sweep_dists", "multi", DISTRIBUTIONS[:3] + ("orthogonal",), "Distributions", options=DISTRIBUTIONS,
          labels=DISTRIBUTION_LABELS, help="compared at equal variance 1/n"),
    Param("sweep_max", "int", 256, "Largest n", options=SWEEP_MAX,
          help=f"the sweep runs n = 8, 16, … up to this (orthogonal stops at {ORTHOGONAL_SWEEP_MAX})"),
    Param("mp_ratio", "float", 0.25, "Aspect ratio λ = n/m", lo=0.05, hi=MAX_RATIO, step=0.05, widget="slider",
          help="λ < 1: tall W (more rows than columns); λ > 1: wide W, with an atom at 0"),
    Param("mp_m", "int", 400, "Rows m", options=MP_M, help="number of rows of W; n = λ·m"),
    _dist("mp_dist", "normal", "Distribution"),
    Param("rect_m", "int", 512, "Rows m (fan_out)", lo=1, hi=MAX_RECT, step=1),
    Param("rect_n", "int", 128, "Columns n (fan_in)", lo=1, hi=MAX_RECT, step=1),
    Param("rule", "choice", "fan_out", "Variance rule", options=RULES, labels=RULE_LABELS, widget="radio",
          help="entry variance 1/m (keeps ‖Wx‖ ≈ ‖x‖), 1/n (keeps ‖Wᵀg‖ ≈ ‖g‖) or 2/(m+n) (Glorot's compromise; "
               "Su's Corollary 4)"),
    _dist("rect_dist", "normal", "Distribution"),
    seed(),
), _constrain_geometry)
"""The Geometry page's parameters, in display order."""
