"""The link schema: every URL parameter of every page of the app — initviz's public link API.

A view is shared as ``<app>/<page>?<name>=<value>&...``. Each page declares its parameters in its
own module here, registered in :data:`PAGES` (and so in :data:`SCHEMAS`); a parameter's name is also
the key of the widget that edits it and the test handle of that widget. Only values that differ
from the default appear in a link (:func:`canonical`), so short links stay short and adding a
parameter later does not change old links.

Layout
------
* :mod:`.grammar` — :class:`Param`, :class:`Notice`, :class:`PageSchema`; the strict grammar of a
  value (:func:`parse_value`, :func:`check`, :func:`format_value`) and of a link (the schema's
  ``parse``, ``validate``, ``canonical``). It knows no page.
* :mod:`.common` — what several pages share: the init schemes' parameters, the scheme choice, the seed.
* one module per page — :mod:`.geometry`, :mod:`.propagation`, :mod:`.initializers`,
  :mod:`.training`, :mod:`.criticality`, :mod:`.experiments` — with its parameters (``SCHEMA``), its cross-field rule (a compute budget,
  applied on a hosted instance only: :mod:`initviz.ui.deployment`) and, where the page runs the core
  on its settings, its run plan (:func:`.propagation.runs`).

This package is pure (no Streamlit import) so it can be tested, fuzzed and documented on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import one_of
from . import criticality, experiments, geometry, initializers, propagation, training, width
from .common import SCHEME_PARAM_HIDDEN, SEED_MAX, scheme_param_names, scheme_params, scheme_settings
from .experiments import JACOBIAN_DEPTHS, JACOBIAN_WIDTHS
from .geometry import (ANGLE_DIMS, DISTRIBUTION_LABELS, DISTRIBUTIONS, GEOMETRY_MAX_SECONDS, GEOMETRY_STEPS,
                       GRAM_SIZES, MAX_RATIO, MAX_RECT, MAX_RECT_WEIGHTS, MP_M, RULE_LABELS, RULES, SWEEP_MAX,
                       geometry_seconds)
from .grammar import (MAX_FIELDS, MAX_VALUE_CHARS, PARAM_KINDS, SHOWN_CHARS, STREAMLIT_RESERVED, Notice, PageSchema,
                      Param, Settings, check, format_value, one_per_param, parse_value, shown)
from .initializers import LAYERS, MAX_CHANNELS, MAX_KERNEL, MAX_SAMPLED_WEIGHTS, kernel_dims, layer_shape
from .propagation import (ACTIVATION_PARAM_LIMIT, MIN_BATCH, TARGET_RSE, BIAS_LIMIT, DTYPES, MAX_COMPARED, PAGE_MAX_ACTIVATIONS,
                          PAGE_MAX_DRAWS, PAGE_MAX_LAYERS, PAGE_MAX_MACS, PROPAGATION_INPUTS, PROPAGATION_MAX_BATCH,
                          PROPAGATION_MAX_DEPTH, PROPAGATION_MAX_SEEDS, PROPAGATION_MAX_WIDTH, PROPAGATION_VIEWS,
                          activation_param, activation_params, batch_floor, compared_schemes, fit, input_width,
                          propagation_cost)
from .training import (PAGE_MAX_FLOPS, RUN_MAX_FLOPS, TRAINING_MAX_BATCH, TRAINING_MAX_DEPTH, TRAINING_MAX_SEEDS,
                       TRAINING_MAX_STEPS, TRAINING_MAX_WIDTH, TRAINING_TASKS, TRAINING_VIEWS, training_cost)

PAGES = (geometry, propagation, training, criticality, width, initializers, experiments)
"""The page modules, each with its ``SCHEMA``, in the order of the README's link table. Add a page here."""

SCHEMAS: dict[str, PageSchema] = {page.SCHEMA.path: page.SCHEMA for page in PAGES}
"""Every page's schema by URL path — the link API."""


def schema_of(page: str) -> PageSchema:
    """The schema of ``page`` (its URL path); unknown pages list the valid ones."""
    if page not in SCHEMAS:
        raise one_of("page", sorted(SCHEMAS), page)
    return SCHEMAS[page]


def parse(page: str, raw: Mapping[str, str | list[str]]) -> tuple[Settings, list[Notice]]:
    """Settings for ``page`` from a link's query parameters, and what could not be honoured.

    ``raw`` maps a parameter name to its value or to the list of its values in URL order (as
    ``st.query_params.get_all`` gives them). Every parameter the link does not set keeps its default.
    The result always satisfies the schema, single-field and cross-field.
    """
    return schema_of(page).parse(raw)


def validate(page: str, settings: Mapping[str, Any]) -> Settings:
    """Check that ``settings`` has every parameter of ``page`` with a valid value; return a copy.

    Raises :class:`~initviz.errors.InitvizError` naming the first bad parameter. Used on values that
    come from widgets (already typed), never on raw link text.
    """
    return schema_of(page).validate(settings)


def constrain(page: str, settings: Settings) -> tuple[Settings, list[Notice]]:
    """Apply the page's cross-field rule (if any) to valid single-field settings."""
    return schema_of(page).constrained(settings)


def canonical(page: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters of a link to ``page`` with ``settings``: non-default values that apply,
    in schema order, in canonical text. ``parse(page, canonical(page, s))`` gives back ``s`` exactly
    (up to parameters that do not apply, which keep their defaults)."""
    return schema_of(page).canonical(settings)


def query_string(page: str, settings: Mapping[str, Any]) -> str:
    """``canonical`` as a URL query string (without the ``?``)."""
    return schema_of(page).query_string(settings)


__all__ = [
    "PAGES", "SCHEMAS", "schema_of", "parse", "validate", "constrain", "canonical", "query_string",
    # grammar
    "MAX_FIELDS", "MAX_VALUE_CHARS", "SHOWN_CHARS", "STREAMLIT_RESERVED", "PARAM_KINDS", "Settings", "Param", "Notice", "one_per_param",
    "PageSchema", "shown", "format_value", "check", "parse_value",
    # shared parameters
    "SCHEME_PARAM_HIDDEN", "SEED_MAX", "scheme_params", "scheme_param_names", "scheme_settings",
    # the pages' own
    "LAYERS", "MAX_CHANNELS", "MAX_KERNEL", "MAX_SAMPLED_WEIGHTS", "kernel_dims", "layer_shape",
    "DISTRIBUTIONS", "DISTRIBUTION_LABELS", "RULES", "RULE_LABELS", "ANGLE_DIMS", "GRAM_SIZES", "SWEEP_MAX", "MP_M",
    "MAX_RATIO", "MAX_RECT", "MAX_RECT_WEIGHTS", "GEOMETRY_MAX_SECONDS", "geometry_seconds", "GEOMETRY_STEPS",
    "PROPAGATION_MAX_DEPTH", "PROPAGATION_MAX_WIDTH", "PROPAGATION_MAX_BATCH", "PROPAGATION_MAX_SEEDS", "MAX_COMPARED",
    "ACTIVATION_PARAM_LIMIT", "BIAS_LIMIT", "PAGE_MAX_MACS", "PAGE_MAX_DRAWS", "PAGE_MAX_ACTIVATIONS",
    "PAGE_MAX_LAYERS", "MIN_BATCH", "TARGET_RSE", "batch_floor", "fit", "PROPAGATION_INPUTS", "PROPAGATION_VIEWS", "DTYPES", "activation_params",
    "activation_param", "input_width", "compared_schemes", "propagation_cost",
    "JACOBIAN_WIDTHS", "JACOBIAN_DEPTHS",
    "PAGE_MAX_FLOPS", "RUN_MAX_FLOPS", "TRAINING_MAX_BATCH", "TRAINING_MAX_DEPTH", "TRAINING_MAX_SEEDS",
    "TRAINING_MAX_STEPS", "TRAINING_MAX_WIDTH", "TRAINING_TASKS", "TRAINING_VIEWS", "training_cost",
]
