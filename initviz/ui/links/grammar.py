"""The link grammar: what a URL parameter is (:class:`Param`), what a page's parameters are
(:class:`PageSchema`), and how link text becomes settings and settings become link text. It knows
no page: the pages' schemas are in the sibling modules, registered in :mod:`initviz.ui.links`.

Grammar (strict ASCII; anything else is rejected, never guessed):

* ``int``: ``[+-]?[0-9]+``. ``1e3``, ``5.0``, ``0x10``, ``1_000``, ``" 5"`` and non-ASCII digits
  are rejected.
* ``float``: ``[+-]?(digits[.digits] | .digits)([eE][+-]?digits)?`` and finite after conversion
  (``nan``, ``inf`` and ``1e309`` are rejected).
* ``choice``: one of the allowed values, compared after ``strip().lower()``.
* ``multi``: allowed values separated by commas, each compared after ``strip().lower()``; an empty value
  is the empty selection where one is allowed (``min_items`` 0), else the default with a notice.
* ``bool``: ``true/false``, ``1/0``, ``yes/no``, ``on/off`` after ``strip().lower()``.

Whatever a link asks for that cannot be honoured yields a :class:`Notice` naming the parameter
and what was used instead: an unparsable or empty value (the default is used), an out-of-range
number (clamped to the range), a number not on the control's ladder of values (the nearest one is
used), an unknown parameter or one that does not apply to the chosen options (ignored), a repeated
parameter (the last value wins), an over-long value or too many parameters (ignored).
Streamlit's own ``embed`` and ``embed_options`` are passed over silently.

This module is pure (no Streamlit import) so it can be tested, fuzzed and documented on its own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ...errors import InitvizError, invalid, one_of

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
PARAM_KINDS = ("int", "float", "choice", "multi", "bool")
"""The kinds of a link parameter (the grammars above); not the law kinds of ``initviz.laws.KINDS``."""

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
    max_items: ``multi`` only — the most the widget lets a user pick (``None``: all); a link asking
        more is cut by the page's cross-field rule, with a notice.
    when: the parameter only applies when each named parameter has one of the listed values, e.g.
        ``(("layer", ("conv",)),)``; otherwise it is left out of links and ignored in them.
    step: widget step for numbers (``None``: Streamlit's default).
    widget: rendering hint for the UI (``"slider"``, ``"number"``, ``"select"``, ``"radio"``, ``"segmented"``,
        ``"multiselect"``, ``"toggle"``, ``"select_slider"``); the UI picks a default per kind.
    help: one sentence shown as the widget's tooltip and in the README's link table.
    rule: the value's rule where its owner states one (a scheme parameter's
        ``initviz.initializers.Param.validate``): :func:`check` applies it instead of ``lo``/``hi``
        and ``options``, which stay for clamping, snapping and the widget's range.
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
    max_items: int | None = None
    when: tuple[tuple[str, tuple], ...] = ()
    step: float | None = None
    widget: str = ""
    help: str = ""
    rule: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]+", self.name, re.ASCII):
            raise invalid("name", "match [a-z0-9_]+", self.name)
        if self.kind not in PARAM_KINDS:
            raise one_of("kind", PARAM_KINDS, self.kind)
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


def one_per_param(notices: list[Notice]) -> list[Notice]:
    """One notice per parameter, in first-seen order: when a value was changed twice (clamped, then
    cut by a cross-field budget) the reasons are joined and the value used is the last one — the
    value actually used, never an intermediate one."""
    merged: dict[str, Notice] = {}
    for notice in notices:
        first = merged.get(notice.param)
        merged[notice.param] = notice if first is None else Notice(
            notice.param, f"{first.problem}; then {notice.problem}", notice.used)
    return list(merged.values())


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

    def parse(self, raw: Mapping[str, str | list[str]]) -> tuple[Settings, list[Notice]]:
        """Settings of this page from a link's query parameters, and what could not be honoured.

        ``raw`` maps a parameter name to its value or to the list of its values in URL order (as
        ``st.query_params.get_all`` gives them). Every parameter the link does not set keeps its default.
        The result always satisfies the schema, single-field and cross-field.
        """
        settings = self.defaults()
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
            param = self.by_name.get(key)
            if param is None:
                notices.append(Notice(shown(key), f"not a parameter of the {self.path} page", "ignored"))
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
            param = self.by_name[key]
            if not param.applies(settings):
                settings[key] = param.default
                notices.append(Notice(key, "only applies when " + _conditions(param), "ignored"))
        settings, cross = self.constrained(settings)
        return settings, one_per_param(notices + cross)

    def validate(self, settings: Mapping[str, Any]) -> Settings:
        """Check that ``settings`` has every parameter of this page with a valid value; return a copy.

        Raises :class:`~initviz.errors.InitvizError` naming the first bad parameter. Used on values that
        come from widgets (already typed), never on raw link text.
        """
        out = {}
        for param in self.params:
            if param.name not in settings:
                raise invalid("settings", f"contain {param.name!r}", sorted(settings))
            reason = check(param, settings[param.name])
            if reason:
                raise invalid(param.name, reason, settings[param.name])
            out[param.name] = settings[param.name]
        return out

    def constrained(self, settings: Settings) -> tuple[Settings, list[Notice]]:
        """This page's cross-field rule (if any) applied to a copy of valid single-field settings."""
        if self.constrain is None:
            return dict(settings), []
        return self.constrain(dict(settings))

    def canonical(self, settings: Mapping[str, Any]) -> dict[str, str]:
        """The query parameters of a link to this page with ``settings``: non-default values that apply,
        in schema order, in canonical text. ``parse(canonical(s))`` gives back ``s`` exactly (up to
        parameters that do not apply, which keep their defaults)."""
        return {p.name: format_value(p, settings[p.name]) for p in self.params
                if p.applies(settings) and settings[p.name] != p.default}

    def query_string(self, settings: Mapping[str, Any]) -> str:
        """:meth:`canonical` as a URL query string (without the ``?``)."""
        return urlencode(self.canonical(settings), safe=",")


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
    if kind == "multi":
        ok = (isinstance(value, tuple) and len(value) >= param.min_items
              and len(set(value)) == len(value) and all(v in param.options for v in value))
        return "" if ok else f"be a tuple of at least {param.min_items} distinct options"
    numeric = (int,) if kind == "int" else (int, float)
    if kind != "choice" and (isinstance(value, bool) or not isinstance(value, numeric) or not math.isfinite(value)):
        return f"be a finite {kind}"
    if param.rule is not None:
        return _owners_rule(param, value)
    if kind == "choice":
        return "" if value in param.options else "be one of " + ", ".join(param.options)
    if (param.lo is not None and value < param.lo) or (param.hi is not None and value > param.hi):
        return f"lie in [{param.lo}, {param.hi}]"
    if param.options and value not in param.options:
        return "be one of " + ", ".join(map(str, param.options))
    return ""


_RULE_TEXT = re.compile(r"Argument `[^`]*` must (.*)\. Received: ", re.DOTALL)
"""The rule in an :func:`initviz.errors.invalid` message."""


def _owners_rule(param: Param, value) -> str:
    """``param.rule`` applied to ``value``: empty, or the rule it breaks (as the owner words it)."""
    try:
        param.rule(value)
    except InitvizError as exc:
        found = _RULE_TEXT.match(str(exc))
        return found.group(1) if found else str(exc)
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
        if param.kind == "multi" and param.min_items == 0:
            return (), None  # the empty selection (a list that may be empty: "compare=" compares nothing)
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


def _conditions(param: Param) -> str:
    return " and ".join(f"{name} is {' or '.join(values)}" for name, values in param.when)
