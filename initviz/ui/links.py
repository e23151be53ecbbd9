"""The link schema: every URL parameter of every page of the app — initviz's public link API.

A view is shared as ``<app>/<page>?<name>=<value>&...``. Each page declares its parameters here
(:data:`SCHEMAS`); a parameter's name is also the key of the widget that edits it and the test handle
of that widget. Only values that differ from the default appear in a link (:func:`canonical`), so
short links stay short and adding a parameter later does not change old links.

Grammar (strict ASCII; anything else is rejected, never guessed):

* ``int``: ``[+-]?[0-9]+``. ``1e3``, ``5.0``, ``0x10``, ``1_000``, ``" 5"`` and non-ASCII digits
  are rejected.
* ``float``: ``[+-]?(digits[.digits] | .digits)([eE][+-]?digits)?`` and finite after conversion
  (``nan``, ``inf`` and ``1e309`` are rejected).
* ``choice``: one of the allowed values, compared after ``strip().lower()``.
* ``multi``: allowed values separated by commas, each compared after ``strip().lower()``.
* ``bool``: ``true/false``, ``1/0``, ``yes/no``, ``on/off`` after ``strip().lower()``.

Whatever a link asks for that cannot be honoured yields a :class:`Notice` naming the parameter
and what was used instead: an unparsable or empty value (the default is used), an out-of-range
number (clamped to the range), a number not on the control's ladder of values (the nearest one is
used), an unknown parameter or one that does not apply to the chosen options (ignored), a repeated
parameter (the last value wins), an over-long value or too many parameters (ignored).
Streamlit's own ``embed`` and ``embed_options`` are passed over silently.

This module is pure (no Streamlit import) so it can be tested, fuzzed and documented on its own.
The compute budgets of the pages apply on a hosted instance only (:mod:`.deployment`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..errors import invalid, one_of
from . import deployment

MAX_FIELDS = 64
"""At most this many distinct parameters are read from one link; the rest are ignored."""
MAX_VALUE_CHARS = 256
"""A longer value is ignored (the default is used) before any parsing is attempted."""
SHOWN_CHARS = 40
"""Untrusted text quoted back in a notice is cut to this many characters."""
STREAMLIT_RESERVED = frozenset({"embed", "embed_options"})
"""Query parameters that belong to Streamlit itself (in any letter case); never part of a page's schema."""

_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
KINDS = ("int", "float", "choice", "multi", "bool")

Settings = dict[str, Any]
"""A page's settings: every parameter name of the page mapped to a valid, typed value
(int, float, str, bool, or a tuple of str for ``multi``)."""


@dataclass(frozen=True)
class Param:
    """One URL parameter (and the widget that edits it).

    Attributes
    ----------
    name: URL name = widget key; ``[a-z0-9_]+``.
    kind: ``"int" | "float" | "choice" | "multi" | "bool"``.
    default: the value used when the link does not give one (for ``multi`` a tuple of str).
    label: the widget's label.
    lo, hi: inclusive range of a number (``None`` = unbounded on that side).
    options: for ``choice``/``multi`` the allowed values (lower-case ASCII, in display order); for a
        number, an optional ladder of allowed values (a link value off the ladder snaps to the nearest,
        measured in log distance when every rung is positive).
    labels: display names parallel to ``options`` (defaults to the options themselves).
    min_items: ``multi`` only — fewer valid items fall back to the default.
    when: the parameter only applies when each named parameter has one of the listed values, e.g.
        ``(("layer", ("conv",)),)``; otherwise it is left out of links and ignored in them.
    step: widget step for numbers (``None``: Streamlit's default).
    widget: rendering hint for the UI (``"slider"``, ``"number"``, ``"select"``, ``"radio"``, ``"segmented"``,
        ``"multiselect"``, ``"toggle"``, ``"select_slider"``); the UI picks a default per kind.
    help: one sentence shown as the widget's tooltip and in the README's link table.
    """

    name: str
    kind: str
    default: Any
    label: str
    lo: float | None = None
    hi: float | None = None
    options: tuple = ()
    labels: tuple[str, ...] = ()
    min_items: int = 1
    when: tuple[tuple[str, tuple], ...] = ()
    step: float | None = None
    widget: str = ""
    help: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]+", self.name, re.ASCII):
            raise invalid("name", "match [a-z0-9_]+", self.name)
        if self.kind not in KINDS:
            raise one_of("kind", KINDS, self.kind)
        if self.labels and len(self.labels) != len(self.options):
            raise invalid("labels", "have one entry per option", self.labels)
        if self.kind in ("choice", "multi"):
            if not self.options or any(o != o.strip().lower() for o in self.options):
                raise invalid("options", "be non-empty lower-case strings without spaces", self.options)
        reason = check(self, self.default)
        if reason:
            raise invalid(f"{self.name}.default", reason, self.default)

    def label_of(self, option) -> str:
        """Display name of one option."""
        if self.labels:
            return self.labels[self.options.index(option)]
        return str(option)

    def applies(self, settings: Mapping[str, Any]) -> bool:
        """Whether this parameter is in effect given the other settings (see ``when``)."""
        return all(settings.get(name) in values for name, values in self.when)


@dataclass(frozen=True)
class Notice:
    """Something a link asked for that was not honoured: which parameter, why, what was used."""

    param: str
    problem: str
    used: str

    def __str__(self) -> str:
        return f"{self.param}: {self.problem} — {self.used}."


@dataclass(frozen=True)
class PageSchema:
    """A page's URL path, its parameters (in display order) and an optional cross-field rule.

    ``constrain(settings) -> (settings, notices)`` enforces limits that involve several parameters
    (e.g. a compute budget on m·n); it receives valid single-field settings and must return valid ones.
    """

    path: str
    params: tuple[Param, ...]
    constrain: Callable[[Settings], tuple[Settings, list[Notice]]] | None = None
    by_name: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {p.name: p for p in self.params}
        if len(by_name) != len(self.params):
            raise invalid("params", "have unique names", [p.name for p in self.params])
        if set(by_name) & STREAMLIT_RESERVED:
            raise invalid("params", "not use Streamlit's reserved names", sorted(STREAMLIT_RESERVED))
        object.__setattr__(self, "by_name", by_name)

    def defaults(self) -> Settings:
        return {p.name: p.default for p in self.params}


def shown(text: str) -> str:
    """Untrusted text as a short, quoted, ASCII-escaped literal (safe to display as plain text)."""
    quoted = ascii(text)
    return quoted if len(quoted) <= SHOWN_CHARS else quoted[: SHOWN_CHARS - 3] + "..."


def format_value(param: Param, value) -> str:
    """The canonical text of a valid value (``parse_value(format_value(v)) == v``, bit for bit)."""
    if param.kind == "bool":
        return "true" if value else "false"
    if param.kind == "multi":
        return ",".join(value)
    if param.kind == "float":
        return repr(float(value))
    return str(value)


def check(param: Param, value) -> str:
    """Empty string when ``value`` is a valid setting of ``param``; else the rule it breaks."""
    kind = param.kind
    if kind == "bool":
        return "" if isinstance(value, bool) else "be a bool"
    if kind == "choice":
        return "" if value in param.options else "be one of " + ", ".join(param.options)
    if kind == "multi":
        ok = (isinstance(value, tuple) and len(value) >= param.min_items
              and len(set(value)) == len(value) and all(v in param.options for v in value))
        return "" if ok else f"be a tuple of at least {param.min_items} distinct options"
    numeric = (int,) if kind == "int" else (int, float)
    if isinstance(value, bool) or not isinstance(value, numeric) or not math.isfinite(value):
        return f"be a finite {kind}"
    if (param.lo is not None and value < param.lo) or (param.hi is not None and value > param.hi):
        return f"lie in [{param.lo}, {param.hi}]"
    if param.options and value not in param.options:
        return "be one of " + ", ".join(map(str, param.options))
    return ""


def _nearest(options: tuple, value: float):
    if all(o > 0 for o in options) and value > 0:
        return min(options, key=lambda o: (abs(math.log(o / value)), o))
    return min(options, key=lambda o: (abs(o - value), o))


def _word(text: str) -> str:
    """``text`` trimmed and lower-cased if it is ASCII; other text is left as it is, so it matches no
    option (``str.lower`` maps look-alikes such as the Kelvin sign "\u212a" to an ASCII "k", and
    ``str.strip`` removes Unicode spaces)."""
    return text.strip().lower() if text.isascii() else text


def parse_value(param: Param, text: str) -> tuple[Any, Notice | None]:
    """Parse one raw value; always returns a valid value, plus a notice when it is not the one asked.

    Invalid text gives the default; out-of-range numbers are clamped; numbers off the ladder snap to
    the nearest rung; ``multi`` keeps its valid items when there are enough of them.
    """
    name, default = param.name, param.default
    fallback = f"using the default {format_value(param, default)}"
    if len(text) > MAX_VALUE_CHARS:
        return default, Notice(name, f"value longer than {MAX_VALUE_CHARS} characters", fallback)
    if text.strip() == "":
        return default, Notice(name, "empty value", fallback)
    kind = param.kind
    if kind in ("choice", "bool"):
        word = _word(text)
        if kind == "bool" and (word in _TRUE or word in _FALSE):
            return word in _TRUE, None
        if kind == "choice" and word in param.options:
            return word, None
        allowed = "true or false" if kind == "bool" else "one of " + ", ".join(param.options)
        return default, Notice(name, f"{shown(text)} is not {allowed}", fallback)
    if kind == "multi":
        items = [_word(w) for w in text.split(",")]
        good = tuple(dict.fromkeys(w for w in items if w in param.options))
        bad = [w for w in items if w not in param.options]
        if len(good) < param.min_items:
            return default, Notice(name, f"{shown(text)} has fewer than {param.min_items} of "
                                   + ", ".join(param.options), fallback)
        if bad or len(good) != len(items):
            dropped = ", ".join(shown(w) for w in bad) or "repeated items"
            return good, Notice(name, f"dropped {dropped}", f"using {format_value(param, good)}")
        return good, None
    grammar = _INT if kind == "int" else _FLOAT
    if not grammar.fullmatch(text):
        what = "an integer" if kind == "int" else "a decimal number"
        return default, Notice(name, f"{shown(text)} is not {what}", fallback)
    value = int(text) if kind == "int" else float(text)
    if kind == "float" and not math.isfinite(value):
        return default, Notice(name, f"{shown(text)} is not a finite number", fallback)
    if kind == "float" and value == 0:
        value = 0.0  # "-0" and "0" are the same setting
    asked = shown(text)
    if param.lo is not None and value < param.lo:
        value = type(value)(param.lo)
        return _on_ladder(param, value, Notice(name, f"{asked} is below the minimum",
                                               f"using {format_value(param, value)}"))
    if param.hi is not None and value > param.hi:
        value = type(value)(param.hi)
        return _on_ladder(param, value, Notice(name, f"{asked} is above the maximum",
                                               f"using {format_value(param, value)}"))
    return _on_ladder(param, value, None)


def _on_ladder(param: Param, value, notice: Notice | None):
    if not param.options or value in param.options:
        return value, notice
    rung = _nearest(param.options, value)
    return rung, Notice(param.name, f"{format_value(param, value)} is not one of the allowed values "
                        + ", ".join(map(str, param.options)), f"using the nearest, {rung}")


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def parse(page: str, raw: Mapping[str, str | list[str]]) -> tuple[Settings, list[Notice]]:
    """Settings for ``page`` from a link's query parameters, and what could not be honoured.

    ``raw`` maps a parameter name to its value or to the list of its values in URL order (as
    ``st.query_params.get_all`` gives them). Every parameter the link does not set keeps its default.
    The result always satisfies the schema, single-field and cross-field.
    """
    schema = schema_of(page)
    settings = schema.defaults()
    notices: list[Notice] = []
    given: list[str] = []
    for count, (key, value) in enumerate(raw.items()):
        if count == MAX_FIELDS:
            notices.append(Notice("link", f"more than {MAX_FIELDS} parameters",
                                  f"ignored the {len(raw) - MAX_FIELDS} after the first {MAX_FIELDS}"))
            break
        if key.lower() in STREAMLIT_RESERVED:
            continue
        values = _as_list(value)
        param = schema.by_name.get(key)
        if param is None:
            notices.append(Notice(shown(key), f"not a parameter of the {page} page", "ignored"))
            continue
        if not values:
            continue
        if len(values) > 1:
            notices.append(Notice(key, f"given {len(values)} times", "using the last value"))
        settings[key], notice = parse_value(param, values[-1])
        given.append(key)
        if notice:
            notices.append(notice)
    for key in given:
        param = schema.by_name[key]
        if not param.applies(settings):
            settings[key] = param.default
            notices.append(Notice(key, "only applies when " + _conditions(param), "ignored"))
    settings, cross = constrain(page, settings)
    return settings, notices + cross


def _conditions(param: Param) -> str:
    return " and ".join(f"{name} is {' or '.join(values)}" for name, values in param.when)


def validate(page: str, settings: Mapping[str, Any]) -> Settings:
    """Check that ``settings`` has every parameter of ``page`` with a valid value; return a copy.

    Raises :class:`~initviz.errors.InitvizError` naming the first bad parameter. Used on values that
    come from widgets (already typed), never on raw link text.
    """
    schema = schema_of(page)
    out = {}
    for param in schema.params:
        if param.name not in settings:
            raise invalid("settings", f"contain {param.name!r}", sorted(settings))
        reason = check(param, settings[param.name])
        if reason:
            raise invalid(param.name, reason, settings[param.name])
        out[param.name] = settings[param.name]
    return out


def constrain(page: str, settings: Settings) -> tuple[Settings, list[Notice]]:
    """Apply the page's cross-field rule (if any) to valid single-field settings."""
    schema = schema_of(page)
    if schema.constrain is None:
        return dict(settings), []
    return schema.constrain(dict(settings))


def canonical(page: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters of a link to ``page`` with ``settings``: non-default values that apply,
    in schema order, in canonical text. ``parse(page, canonical(page, s))`` gives back ``s`` exactly
    (up to parameters that do not apply, which keep their defaults)."""
    schema = schema_of(page)
    return {p.name: format_value(p, settings[p.name]) for p in schema.params
            if p.applies(settings) and settings[p.name] != p.default}


def query_string(page: str, settings: Mapping[str, Any]) -> str:
    """``canonical`` as a URL query string (without the ``?``)."""
    return urlencode(canonical(page, settings), safe=",")






# --- parameters generated from the initializers registry ---------------------------------------

SCHEME_PARAM_HIDDEN = ("layout",)
"""Scheme parameters the app never exposes: shapes in the app are always in torch layout."""


def scheme_params(scheme_key: str = "scheme", prefix: str = "", schemes=None) -> tuple[Param, ...]:
    """One link parameter per (scheme, parameter) of :data:`initviz.initializers.SCHEMES` (or of the
    named ``schemes`` only: pass the page's scheme options, so no parameter is dead), named
    ``<prefix><scheme>_<param>`` (e.g. ``kaiming_normal_mode``), applying only when ``scheme_key``
    selects that scheme; defaults, kinds, choices and limits are the registry's."""
    from ..initializers import SCHEMES

    out = []
    for scheme in (SCHEMES[name] for name in (schemes or SCHEMES)):
        for p in scheme.params:
            if p.name in SCHEME_PARAM_HIDDEN:
                continue
            out.append(Param(f"{prefix}{scheme.name}_{p.name}", p.kind, p.default, label=p.name,
                             lo=p.lo, hi=p.hi, options=tuple(p.choices),
                             when=((scheme_key, (scheme.name,)),), help=p.doc))
    return tuple(out)


def scheme_settings(settings: Mapping[str, Any], scheme: str, scheme_key_prefix: str = "") -> dict[str, Any]:
    """The keyword parameters of ``scheme`` held in ``settings`` (inverse of :func:`scheme_params`)."""
    from ..initializers import SCHEMES

    head = f"{scheme_key_prefix}{scheme}_"
    return {p.name: settings[head + p.name] for p in SCHEMES[scheme].params if p.name not in SCHEME_PARAM_HIDDEN}


def _scheme_choice(name: str, default: str, label: str) -> Param:
    from ..initializers import SCHEMES

    return Param(name, "choice", default, label, options=tuple(SCHEMES),
                 labels=tuple(s.label for s in SCHEMES.values()), help="an initialization scheme of initviz.SCHEMES")


SEED_MAX = 2 ** 32 - 1
"""Seeds are unsigned 32-bit integers (any of them reproduces exactly)."""


def _seed(default: int = 0) -> Param:
    return Param("seed", "int", default, "Seed", lo=0, hi=SEED_MAX, step=1,
                 help="same seed, same numbers: the link reproduces them bit for bit")


# --- the Initializers page ---------------------------------------------------------------------

LAYERS = ("dense", "conv1d", "conv2d", "conv3d")
MAX_CHANNELS = 4096
MAX_KERNEL = 9
MAX_LAYER_WEIGHTS = 2 ** 20
"""The Initializers page samples the whole weight tensor; its size is capped at 2²⁰ entries."""


def kernel_dims(layer: str) -> int:
    """Number of spatial kernel dimensions of a layer kind (0 for dense)."""
    return LAYERS.index(layer)


def layer_shape(settings: Mapping[str, Any]) -> tuple[int, ...]:
    """The torch-layout weight shape (out, in, *kernel) of the Initializers page's layer."""
    k = kernel_dims(settings["layer"])
    return (settings["n_out"], settings["n_in"], *([settings["kernel"]] * k))


def _constrain_layer(settings: Settings) -> tuple[Settings, list[Notice]]:
    """Halve the larger of n_in and n_out until the weight fits :data:`MAX_LAYER_WEIGHTS`."""
    shape = layer_shape(settings)
    numel = math.prod(shape)
    if numel <= MAX_LAYER_WEIGHTS:
        return settings, []
    while math.prod(layer_shape(settings)) > MAX_LAYER_WEIGHTS:
        side = "n_in" if settings["n_in"] >= settings["n_out"] else "n_out"
        settings[side] = max(1, settings[side] // 2)
    return settings, [Notice("n_in", f"a weight of shape {shape} has {numel:,} entries, more than the "
                             f"{MAX_LAYER_WEIGHTS:,} this page samples",
                             f"using n_in={settings['n_in']}, n_out={settings['n_out']}")]


def _initializers_schema() -> PageSchema:
    return PageSchema("initializers", (
        Param("layer", "choice", "dense", "Layer", options=LAYERS,
              labels=("Dense (Linear)", "Conv 1-D", "Conv 2-D", "Conv 3-D"), widget="radio",
              help="weight shape (out, in) for dense, (out, in, k, …) for conv — torch layout"),
        Param("n_in", "int", 512, "Inputs (features or channels)", lo=1, hi=MAX_CHANNELS, step=1,
              help="in_features of a Linear layer or in_channels of a Conv layer"),
        Param("n_out", "int", 256, "Outputs (features or channels)", lo=1, hi=MAX_CHANNELS, step=1,
              help="out_features of a Linear layer or out_channels of a Conv layer"),
        Param("kernel", "int", 3, "Kernel size", lo=1, hi=MAX_KERNEL, step=1,
              when=(("layer", LAYERS[1:]),), help="the same size along every spatial dimension"),
        _scheme_choice("scheme", "kaiming_normal", "Scheme to sample"),
        *scheme_params(),
        _seed(),
    ), _constrain_layer)


# --- the Geometry page -------------------------------------------------------------------------

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
"""Modelled CPU seconds (:func:`geometry_seconds`) of the sweep, the spectrum and the ‖Wx‖/‖x‖
samples of one Geometry view — enough for one i.i.d. sweep to n = 4096; the angles and drawing add
< 1 s (the costliest allowed views measured 1.8 s of CPU). A link asking for more gets its costliest
step shrunk first (everything at its maximum took 27 s of CPU)."""
SWEEP_SECONDS = {256: 0.1, 512: 0.25, 1024: 0.4, 2048: 0.6, 4096: 2.0}
"""CPU seconds of one sweep n = 8 … ``sweep_max`` of an i.i.d. law, measured on the development
machine (2 cores; draws on two threads)."""
ORTHOGONAL_SWEEP_SECONDS = {256: 0.2, 512: 0.55, 1024: 1.15}
"""The same for orthogonal W, whose sweep stops at 1024 (one QR per block)."""
SPECTRUM_EIGENVALUES = 4000
"""Eigenvalues the spectrum pools (``ui.geometry``): repeats ≈ ⌈4000 / n⌉."""
SPECTRUM_SECONDS_PER_EIGEN_WORK = 2.5e-10
"""CPU seconds per unit of repeats·min(m,n)³ (the eigensolver)."""
SECONDS_PER_QR_WORK = 1e-9
"""CPU seconds per unit of max(m,n)·min(m,n)² of one orthogonal draw (Householder QR and sign fix)."""
RECT_SECONDS_PER_ENTRY = 1e-6
"""CPU seconds per entry m·n of W in the ‖Wx‖/‖x‖ step (16 matrices drawn, 10,000 products)."""
RECT_MATRICES = 16
"""Matrices drawn by the ‖Wx‖/‖x‖ step (``geometry.NORM_MATRICES``)."""


def geometry_seconds(settings: Mapping[str, Any]) -> dict[str, float]:
    """Modelled CPU seconds of a Geometry view's steps, keyed by the parameter that shrinks each:
    the sweep (``sweep_max``), the spectrum (``mp_m``) and the ‖Wx‖/‖x‖ samples (``rect_n``)."""
    top = settings["sweep_max"]
    sweep = sum(ORTHOGONAL_SWEEP_SECONDS[min(top, 1024)] if d == "orthogonal" else SWEEP_SECONDS[top]
                for d in settings["sweep_dists"])
    m = settings["mp_m"]
    n = max(1, round(settings["mp_ratio"] * m))
    repeats = math.ceil(SPECTRUM_EIGENVALUES / n)
    spectrum = repeats * min(m, n) ** 3 * SPECTRUM_SECONDS_PER_EIGEN_WORK
    if settings["mp_dist"] == "orthogonal":
        spectrum += repeats * max(m, n) * min(m, n) ** 2 * SECONDS_PER_QR_WORK
    m, n = settings["rect_m"], settings["rect_n"]
    rect = m * n * RECT_SECONDS_PER_ENTRY
    if settings["rect_dist"] == "orthogonal":
        rect += RECT_MATRICES * max(m, n) * min(m, n) ** 2 * SECONDS_PER_QR_WORK
    return {"sweep_max": sweep, "mp_m": spectrum, "rect_n": rect}


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
    """The rectangular matrix's size (:func:`_constrain_rect`); the spectrum within the core's
    ``geometry.SPECTRUM_MAX_WORK`` (min(m, n)³, by fewer rows at the same λ); and, on a hosted
    instance (:mod:`.deployment`), the view's compute budget :data:`GEOMETRY_MAX_SECONDS`, met by
    shrinking the costliest step first."""
    from ..geometry import SPECTRUM_MAX_WORK

    settings, notices = _constrain_rect(settings)
    asked = dict(settings)
    while min(settings["mp_m"], max(1, round(settings["mp_ratio"] * settings["mp_m"]))) ** 3 > SPECTRUM_MAX_WORK:
        _smaller(settings, "mp_m")
    if settings["mp_m"] != asked["mp_m"]:
        notices.append(Notice("mp_m", f"{asked['mp_m']} rows at λ = {settings['mp_ratio']:g} make min(m, n)³ more "
                              f"than {SPECTRUM_MAX_WORK:,}", f"using m={settings['mp_m']}"))
        asked["mp_m"] = settings["mp_m"]
    steps = geometry_seconds(settings) if deployment.current().page_budgets else {}
    while sum(steps.values()) > GEOMETRY_MAX_SECONDS and steps:
        name = max(steps, key=steps.get)
        if _smaller(settings, name):
            steps.update({k: v for k, v in geometry_seconds(settings).items() if k in steps})
        else:
            del steps[name]
    for name in ("sweep_max", "mp_m", "rect_n"):
        if settings[name] != asked[name]:
            notices.append(Notice(name, f"{asked[name]} with these settings is more computing than one view may ask "
                                  f"(~{GEOMETRY_MAX_SECONDS:g} s of CPU)", f"using {name}={settings[name]}"))
    return settings, notices


def _dist(name: str, default: str, label: str) -> Param:
    return Param(name, "choice", default, label, options=DISTRIBUTIONS, labels=DISTRIBUTION_LABELS,
                 help="entry distribution; every one is scaled to the same variance")


GEOMETRY_STEPS = ("vectors", "gram", "sweep", "spectrum", "rectangular")
"""The Geometry page's steps, in the order of the argument; the page computes only the one shown."""


def _geometry_schema() -> PageSchema:
    return PageSchema("geometry", (
        Param("step", "choice", "vectors", "Step", options=GEOMETRY_STEPS,
              labels=("1 · Random vectors", "2 · WᵀW ≈ I", "3 · Entrywise, not as an operator",
                      "4 · Marchenko–Pastur", "5 · Rectangular W"),
              widget="segmented", help="which step of the argument the page computes and draws"),
        Param("angle_n", "int", 100, "Dimension n", options=ANGLE_DIMS,
              help="dimension of the two random vectors"),
        Param("gram_n", "int", 32, "Matrix size n", options=GRAM_SIZES, help="W is n×n with variance 1/n"),
        _dist("gram_dist", "normal", "Distribution"),
        Param("sweep_dists", "multi", DISTRIBUTIONS[:3] + ("orthogonal",), "Distributions", options=DISTRIBUTIONS,
              labels=DISTRIBUTION_LABELS, help="compared at equal variance 1/n"),
        Param("sweep_max", "int", 256, "Largest n", options=SWEEP_MAX,
              help="the sweep runs n = 8, 16, … up to this (orthogonal stops at 1024)"),
        Param("mp_ratio", "float", 0.25, "Aspect ratio λ = n/m", lo=0.05, hi=MAX_RATIO, step=0.05, widget="slider",
              help="λ < 1: tall W (more rows than columns); λ > 1: wide W, with an atom at 0"),
        Param("mp_m", "int", 400, "Rows m", options=MP_M, help="number of rows of W; n = λ·m"),
        _dist("mp_dist", "normal", "Distribution"),
        Param("rect_m", "int", 512, "Rows m (fan_out)", lo=1, hi=MAX_RECT, step=1),
        Param("rect_n", "int", 128, "Columns n (fan_in)", lo=1, hi=MAX_RECT, step=1),
        Param("rule", "choice", "fan_out", "Variance rule", options=RULES, labels=RULE_LABELS, widget="radio",
              help="entry variance 1/m, 1/n or 2/(m+n) — the source's Corollary 4"),
        _dist("rect_dist", "normal", "Distribution"),
        _seed(),
    ), _constrain_geometry)


# --- the Propagation page ------------------------------------------------------------------------

PROPAGATION_MAX_DEPTH = 200
"""Deepest network the Propagation page builds (the core allows ``limits.MAX_DEPTH``)."""
PROPAGATION_MAX_WIDTH = 2048
PROPAGATION_MAX_BATCH = 1024
PROPAGATION_MAX_SEEDS = 8
MAX_COMPARED = 3
"""Schemes compared with the configured one: four series at most on every chart."""
ACTIVATION_PARAM_LIMIT = 100.0
"""|activation parameter| (leaky slope, ELU α) accepted from a link."""
BIAS_LIMIT = 100.0
"""|bias value| (a constant, or the normal's std) accepted from a link."""
PAGE_MAX_MACS = 2 ** 32
"""Forward multiply–adds per page view, over every compared scheme and seed (float64: 2×):
(1 + compared)·n_seeds·batch·Σ n_{l−1}·n_l ≤ 2³² (a few seconds forward and backward on one core)."""
PAGE_MAX_DRAWS = 2 ** 27
"""Weight-sampling work per page view, over every compared scheme and seed, in the core's
normal-draw equivalents (``limits.draw_cost``) — each run also stays within ``limits.MAX_WEIGHT_DRAWS``."""
PAGE_MAX_ACTIVATIONS = 2 ** 24
"""Activation entries per page view, over every compared scheme and seed (float64: 2×): the per-layer
statistics scale with them (4 schemes × batch 1024 × 200 layers of width 64 = 2^25.6 took 3.5 s of
CPU; 4 × 932 × 200 × 45 = 2^25 with 800 layers, 2.9 s)."""
PAGE_MAX_LAYERS = 2 ** 10
"""Layers propagated per page view, over every compared scheme and seed: (1 + compared)·n_seeds·depth
≤ 2¹⁰. Each layer has a fixed cost (statistics, theory, drawing; ~1 ms) that the multiply–add and
sampling budgets do not see: 4 schemes × 8 seeds × 200 layers of width 64 took 7.3 s of CPU."""
BATCH_FLOOR = 32
"""A budget first shrinks the batch to this, then the seeds, then the batch again, then depth and widths."""
PROPAGATION_INPUTS = ("normal", "unit_norm", "correlated")
PROPAGATION_VIEWS = ("forward", "histograms", "backward")
"""The Propagation page's views; only the one shown is computed (the backward pass only when
the backward view or the gradient histograms need it)."""
"""``initviz.propagation.INPUTS``."""
DTYPES = ("float32", "float64")


def _dense_schemes() -> tuple[str, ...]:
    """Schemes that can initialise a dense (2-D) weight: every one but the conv-only ``dirac``."""
    from ..errors import InitvizError
    from ..initializers import SCHEMES

    usable = []
    for name, scheme in SCHEMES.items():
        try:
            scheme.law((2, 2))
        except InitvizError:
            continue
        usable.append(name)
    return tuple(usable)


def activation_params() -> tuple[Param, ...]:
    """One link parameter per parametrised activation of :data:`initviz.activations.ACTIVATIONS`,
    named ``<activation>_<param>`` (``leaky_relu_negative_slope``, ``elu_alpha``)."""
    from ..activations import ACTIVATIONS

    return tuple(Param(f"{name}_{spec.param_name}", "float", spec.default, spec.param_name,
                       lo=max(spec.param_min, -ACTIVATION_PARAM_LIMIT), hi=ACTIVATION_PARAM_LIMIT,
                       when=(("activation", (name,)),), help=f"{spec.param_name} of {name}: {spec.formula}")
                 for name, spec in ACTIVATIONS.items() if spec.param_name)


def activation_param(settings: Mapping[str, Any]) -> float | None:
    """The chosen activation's parameter (None for parameter-free activations)."""
    from ..activations import ACTIVATIONS

    spec = ACTIVATIONS[settings["activation"]]
    return settings[f"{settings['activation']}_{spec.param_name}"] if spec.param_name else None


def input_width(settings: Mapping[str, Any]) -> int:
    """n₀: ``in_width``, or the hidden width when ``in_width`` is 0."""
    return settings["in_width"] or settings["width"]


def compared_schemes(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """Every scheme a Propagation view runs: the configured one first, then the comparisons."""
    return (settings["scheme"], *settings["compare"])


def _sampling_work(settings: Mapping[str, Any], scheme: str, configured: bool) -> float:
    """Σ_l ``limits.draw_cost`` of one network of the view (normal-draw equivalents): the law kind
    of each weight shape under ``scheme`` (its link parameters, or its defaults). A parameter set the
    scheme rejects counts as normal draws (the page then shows the scheme's error instead)."""
    from ..errors import InitvizError
    from ..initializers import SCHEMES
    from ..limits import draw_cost

    width, depth = settings["width"], settings["depth"]
    params = scheme_settings(settings, scheme) if configured else {}
    work = 0.0
    for shape, count in (((width, input_width(settings)), 1), ((width, width), depth - 1)):
        try:
            kind = SCHEMES[scheme].law(shape, **params).kind
        except InitvizError:
            kind = "normal"
        work += count * draw_cost(kind, shape)
    return work


def propagation_cost(settings: Mapping[str, Any]) -> dict[str, float]:
    """What a Propagation view asks of the core, by the core's own accounting (:mod:`initviz.limits`;
    float64 arithmetic counts double): the largest per-run ``weights``, ``activations``, ``macs``
    and ``draws`` (sampling work, see ``limits.draw_cost``) and, over every compared scheme,
    ``page_macs``, ``page_draws``, ``page_activations`` and ``page_layers``."""
    width, depth, seeds, batch = settings["width"], settings["depth"], settings["n_seeds"], settings["batch"]
    wide = 2 if settings["dtype"] == "float64" else 1
    weights = input_width(settings) * width + (depth - 1) * width * width
    schemes = compared_schemes(settings)
    draws = [seeds * _sampling_work(settings, s, configured=i == 0) for i, s in enumerate(schemes)]
    macs = wide * seeds * batch * weights
    return {"weights": weights, "activations": wide * seeds * batch * depth * width, "macs": macs,
            "draws": max(draws), "page_macs": len(schemes) * macs, "page_draws": sum(draws),
            "page_activations": len(schemes) * wide * seeds * batch * depth * width,
            "page_layers": len(schemes) * seeds * depth}


def _excess(settings: Mapping[str, Any]) -> float:
    """The largest ratio of a cost to its limit (≤ 1 when the view fits every budget)."""
    from ..limits import MAX_ACTIVATIONS, MAX_MACS, MAX_WEIGHT_DRAWS, MAX_WEIGHTS

    cost = propagation_cost(settings)
    return max(cost["page_macs"] / PAGE_MAX_MACS, cost["page_draws"] / PAGE_MAX_DRAWS, cost["weights"] / MAX_WEIGHTS,
               cost["activations"] / MAX_ACTIVATIONS, cost["macs"] / MAX_MACS, cost["draws"] / MAX_WEIGHT_DRAWS,
               cost["page_activations"] / PAGE_MAX_ACTIVATIONS, cost["page_layers"] / PAGE_MAX_LAYERS)


def _largest_fitting(settings: Settings, name: str, floor: int) -> int:
    """The largest value of ``name`` in [floor, current] that fits every budget; ``floor`` when
    none does but it lowers the excess; else the current value (this parameter does not help)."""
    current = settings[name]
    trial = dict(settings)

    def excess(value: int) -> float:
        trial[name] = value
        return _excess(trial)

    if current <= floor or excess(floor) >= excess(current):
        return current
    if excess(floor) > 1:
        return floor
    lo, hi = floor, current  # excess(lo) <= 1 < excess(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if excess(mid) <= 1 else (lo, mid)
    return lo


_BUDGET_STEPS = (("batch", BATCH_FLOOR), ("n_seeds", 1), ("batch", 2), ("depth", 1), ("width", 1), ("in_width", 1))
"""(parameter, floor) in the order a compute budget reduces them (never below the floor)."""


def _constrain_propagation(settings: Settings) -> tuple[Settings, list[Notice]]:
    """Cross-field rules of the Propagation page: a normal bias's std is |value|; at most
    :data:`MAX_COMPARED` comparisons, none equal to the configured scheme; and, on a hosted instance
    (:mod:`.deployment`), the compute budget (:data:`PAGE_MAX_MACS`, :data:`PAGE_MAX_DRAWS` and the
    core's per-run hosted limits), met by lowering the parameters of :data:`_BUDGET_STEPS` in turn,
    each to the largest value that fits."""
    notices = []
    if settings["bias"] == "normal" and settings["bias_value"] < 0:
        settings["bias_value"] = -settings["bias_value"]
        notices.append(Notice("bias_value", "a standard deviation cannot be negative",
                              f"using {format_value(_BIAS_PARAM, settings['bias_value'])}"))
    compare = settings["compare"]
    kept = tuple(s for s in compare if s != settings["scheme"])[:MAX_COMPARED]
    if kept != compare:
        settings["compare"] = kept
        notices.append(Notice("compare", f"at most {MAX_COMPARED} schemes other than the configured "
                              f"{settings['scheme']}", f"using {format_value(_COMPARE_PARAM, kept) or 'none'}"))
    asked = dict(settings)
    for name, floor in _BUDGET_STEPS if deployment.current().page_budgets else ():
        if _excess(settings) > 1:
            settings[name] = _largest_fitting(settings, name, floor)
    for name in dict.fromkeys(n for n, _ in _BUDGET_STEPS):
        if settings[name] != asked[name]:
            notices.append(Notice(name, f"{asked[name]} with these settings is more work than one view may ask "
                                  f"(at most {PAGE_MAX_MACS:,} multiply–adds, {PAGE_MAX_DRAWS:,} weight draws, "
                                  f"{PAGE_MAX_ACTIVATIONS:,} activations and {PAGE_MAX_LAYERS:,} layers over all "
                                  "schemes and seeds)", f"using {name}={settings[name]}"))
    return settings, notices


_BIAS_PARAM = Param("bias_value", "float", 0.05, "Bias value", lo=-BIAS_LIMIT, hi=BIAS_LIMIT,
                    when=(("bias", ("constant", "normal")),),
                    help="the constant of a constant bias, or the standard deviation of a normal bias")
_COMPARE_PARAM = Param("compare", "multi", (), "Compare with other schemes (each at its default parameters)",
                       options=_dense_schemes(), min_items=0,
                       help=f"up to {MAX_COMPARED} more schemes on the same network, seed and inputs, one colour each "
                       "on every chart; torch's defaults for torch schemes (kaiming_*: a = 0, gain √2). Schemes of "
                       "the same base law (normal, xavier_normal) draw proportional weights from one seed, so "
                       "their scale-free statistics can coincide exactly")


def _propagation_schema() -> PageSchema:
    from ..activations import ACTIVATIONS
    from ..network import BIAS_RULES

    dense = _dense_schemes()
    return PageSchema("propagation", (
        Param("depth", "int", 20, "Depth L (layers)", lo=1, hi=PROPAGATION_MAX_DEPTH, step=1, widget="slider",
              help="number of layers, each weights + bias + activation"),
        Param("width", "int", 256, "Width n (units per layer)", lo=1, hi=PROPAGATION_MAX_WIDTH, step=1,
              help="units in every layer"),
        Param("in_width", "int", 0, "Input width n₀ (0: same as n)", lo=0, hi=PROPAGATION_MAX_WIDTH, step=1,
              help="dimension of the inputs x; 0 means the same as the width"),
        Param("activation", "choice", "tanh", "Activation φ", options=tuple(ACTIVATIONS),
              help="the same activation after every layer"),
        *activation_params(),
        Param("scheme", "choice", "xavier_normal", "Init scheme", options=dense,
              labels=tuple(_scheme_label(s) for s in dense), help="an initialization scheme of initviz.SCHEMES"),
        *scheme_params(schemes=dense),
        Param("bias", "choice", "zeros", "Bias", options=BIAS_RULES,
              labels=("zeros", "constant", "normal N(0, value²)", "the scheme's own"),
              help="zeros, a constant, N(0, value²), or the scheme's rule (torch_default: U(±1/√fan_in))"),
        _BIAS_PARAM,
        _COMPARE_PARAM,
        Param("inputs", "choice", "normal", "Inputs x", options=PROPAGATION_INPUTS,
              labels=("N(0, I)", "on the sphere ‖x‖ = √n₀", "correlated pairs"), widget="radio",
              help="i.i.d. N(0, 1) coordinates; the same rescaled to norm √n₀; or pairs with correlation c"),
        Param("input_corr", "float", 0.5, "Pair correlation c", lo=-1.0, hi=1.0, step=0.05, widget="slider",
              when=(("inputs", ("correlated",)),), help="correlation of the input pairs (x₂ₖ, x₂ₖ₊₁)"),
        Param("batch", "int", 256, "Batch (inputs per seed)", lo=2, hi=PROPAGATION_MAX_BATCH, step=1,
              help="inputs propagated through each network"),
        Param("n_seeds", "int", 1, "Networks (seeds)", lo=1, hi=PROPAGATION_MAX_SEEDS, step=1, widget="slider",
              help="independent draws of weights and inputs; bands span them"),
        _seed(),
        Param("dtype", "choice", "float32", "Precision", options=DTYPES, widget="radio",
              help="float32 overflows past 3.4e38 and underflows below 1.2e-38; float64 at 1.8e308 and 2.2e-308"),
        Param("view", "choice", "forward", "View", options=PROPAGATION_VIEWS,
              labels=("Forward: the signal", "Histograms across depth", "Backward: the gradients"),
              widget="segmented", help="which part of the analysis the page computes and draws"),
        Param("hist_of", "choice", "act", "Histograms of", options=("act", "preact", "grad"),
              labels=("activations a = φ(h)", "pre-activations h", "gradients ∂L/∂h"), widget="radio",
              help="which values the histograms across depth show (gradients: the backward probe's ∂L/∂h)"),
    ), _constrain_propagation)


def _scheme_label(name: str) -> str:
    from ..initializers import SCHEMES

    return SCHEMES[name].label


# --- the Experiments page -----------------------------------------------------------------------

JACOBIAN_WIDTHS = (16, 32, 64, 128)
"""Widths of the deep linear networks whose Jacobian spectrum the Experiments page draws."""
JACOBIAN_DEPTHS = (10, 20, 50, 100)


def _experiments_schema() -> PageSchema:
    return PageSchema("experiments", (
        Param("jac_width", "int", 64, "Width n", options=JACOBIAN_WIDTHS,
              help="width of the deep linear networks (every layer n×n)"),
        Param("jac_depth", "int", 50, "Depth L", options=JACOBIAN_DEPTHS, help="layers of the deep linear networks"),
        _seed(),
    ))


SCHEMAS: dict[str, PageSchema] = {s.path: s for s in (_geometry_schema(), _propagation_schema(), _initializers_schema(),
                                                       _experiments_schema())}
"""Every page's schema by URL path — the link API. Add a page's schema here."""


def schema_of(page: str) -> PageSchema:
    """The schema of ``page`` (its URL path); unknown pages list the valid ones."""
    if page not in SCHEMAS:
        raise one_of("page", sorted(SCHEMAS), page)
    return SCHEMAS[page]
