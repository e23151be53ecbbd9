"""Link parameters several pages share: the init schemes' own parameters (generated from
:data:`initviz.initializers.SCHEMES`), the choice of a scheme, and the seed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...initializers import SCHEMES
from .grammar import Notice, Param, Settings

SCHEME_PARAM_HIDDEN = ("layout",)
"""Scheme parameters the app never exposes: shapes in the app are always in torch layout."""


def scheme_params(scheme_key: str = "scheme", prefix: str = "", schemes=None) -> tuple[Param, ...]:
    """One link parameter per (scheme, parameter) of :data:`initviz.initializers.SCHEMES` (or of the
    named ``schemes`` only: pass the page's scheme options, so no parameter is dead), named
    ``<prefix><scheme>_<param>`` (e.g. ``kaiming_normal_mode``), applying only when ``scheme_key``
    selects that scheme; defaults, kinds, choices and limits are the registry's, and a value is
    checked by the scheme parameter's own rule (``initviz.initializers.Param.validate``)."""
    out = []
    for scheme in (SCHEMES[name] for name in (schemes or SCHEMES)):
        names = scheme_param_names(scheme.name, prefix)
        out.extend(Param(names[p.name], p.kind, p.default, label=p.name, lo=p.lo, hi=p.hi, options=tuple(p.options),
                         when=((scheme_key, (scheme.name,)),), help=p.help, rule=p.validate)
                   for p in scheme.params if p.name in names)
    return tuple(out)


def scheme_param_names(scheme: str, prefix: str = "") -> dict[str, str]:
    """The parameters of ``scheme`` the app exposes, each mapped to its link name
    ``<prefix><scheme>_<param>`` (in the registry's order)."""
    return {p.name: f"{prefix}{scheme}_{p.name}" for p in SCHEMES[scheme].params if p.name not in SCHEME_PARAM_HIDDEN}


def scheme_settings(settings: Mapping[str, Any], scheme: str, scheme_key_prefix: str = "") -> dict[str, Any]:
    """The keyword parameters of ``scheme`` held in ``settings`` (inverse of :func:`scheme_params`)."""
    return {name: settings[key] for name, key in scheme_param_names(scheme, scheme_key_prefix).items()}


ORDERED_BOUNDS = {"uniform": ("a", "b"), "trunc_normal": ("a", "b")}
"""Schemes whose two parameters are a lower and an upper bound (the scheme refuses them out of order)."""


def order_scheme_params(settings: Settings, scheme: str, prefix: str = "") -> list[Notice]:
    """Put the bounds of ``scheme`` (:data:`ORDERED_BOUNDS`) in ``settings`` in order: a lower bound
    above the upper one swaps them; equal bounds of a truncated normal (an empty interval) take the
    scheme's defaults. Each value valid alone but not together gets a notice and a value that works."""
    if scheme not in ORDERED_BOUNDS:
        return []
    names = scheme_param_names(scheme, prefix)
    lo_name, hi_name = (names[p] for p in ORDERED_BOUNDS[scheme])
    lo, hi = settings[lo_name], settings[hi_name]
    if lo > hi:
        settings[lo_name], settings[hi_name] = hi, lo
        return [Notice(lo_name, f"the lower bound {lo:g} is above the upper bound {hi_name}={hi:g}",
                       f"swapped: using {lo_name}={hi:g}, {hi_name}={lo:g}")]
    if lo == hi and scheme == "trunc_normal":
        same = lo
        defaults = SCHEMES[scheme].defaults
        lo, hi = (defaults[p] for p in ORDERED_BOUNDS[scheme])
        settings[lo_name], settings[hi_name] = lo, hi
        return [Notice(lo_name, f"equal bounds {same:g} leave no interval to truncate to",
                       f"using the defaults {lo_name}={lo:g}, {hi_name}={hi:g}")]
    return []


def scheme_label(name: str) -> str:
    """The display name of a scheme (its registry label)."""
    return SCHEMES[name].label


def scheme_choice(name: str, default: str, label: str, schemes=None) -> Param:
    """A choice of one scheme of :data:`initviz.initializers.SCHEMES` (or of the named ``schemes``),
    shown by its label."""
    options = tuple(schemes or SCHEMES)
    return Param(name, "choice", default, label, options=options, labels=tuple(map(scheme_label, options)),
                 help="how the weights are drawn: every torch.nn.init scheme, and the Keras/JAX presets where they differ")


SEED_MAX = 2 ** 32 - 1
"""Seeds are unsigned 32-bit integers (any of them reproduces exactly)."""


def seed(default: int = 0) -> Param:
    """The ``seed`` parameter: every random draw of a page comes from it."""
    return Param("seed", "int", default, "Seed", lo=0, hi=SEED_MAX, step=1,
                 help="same seed, same numbers: the link reproduces them bit for bit")
