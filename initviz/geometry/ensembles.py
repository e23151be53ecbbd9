"""Ensembles of random m×n matrices (torch layout (fan_out, fan_in)), their theory and sampling.

An :class:`Ensemble` is an equal-variance law (:func:`initviz.laws.law_with_variance`) at a variance
rule "1/m", "1/n" or "2/(m+n)" times gain², or a named init scheme (:func:`initviz.initializers.law`
with shape (m, n)); :func:`sample_matrix` draws one matrix, i.i.d. laws through :meth:`Law.base`
(chunked, threaded) and ``loc + scale·base``. The sizes every measurement is bounded by live here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import randmat
from ..errors import invalid, one_of
from ..laws import EQUAL_VARIANCE_KINDS, Law, as_dtype, law_with_variance
from ..limits import check_float, check_int
from ..rng import as_generator

IID_KINDS = ("normal", "uniform", "rademacher", "trunc_normal")
"""Law kinds with i.i.d. entries: sampled in chunks and shared across a sweep's block sizes."""

DEFAULT_KINDS = IID_KINDS
"""Distributions compared at equal variance by default."""

MAX_DIM = 16384
"""Largest m or n of one matrix."""

MAX_MATRIX_ENTRIES = 2 ** 24
"""Most entries m·n of one matrix (4096² in float32 is 64 MiB)."""

MAX_REPEATS = 256
"""Most independent matrices per point."""

MAX_ORTHOGONAL_WORK = 2 ** 33
"""Most QR work Σ min(m,n)²·max(m,n) for the fresh orthogonal draws of one sweep (~seconds)."""


@dataclass(frozen=True)
class Ensemble:
    """A distribution over m×n matrices (torch layout (fan_out, fan_in)).

    * ``Ensemble("normal", rule="1/m", gain=1.0)`` — an equal-variance law
      (:data:`initviz.laws.EQUAL_VARIANCE_KINDS`) with variance gain²·rule(m, n);
    * ``Ensemble("kaiming_normal", scheme=True, params=(("nonlinearity", "relu"),))`` — a named
      scheme of :data:`initviz.initializers.SCHEMES`, whose own fans fix the variance
      (``rule`` and ``gain`` are ignored; use the scheme's ``gain`` parameter).
    """

    name: str
    rule: str = "1/m"
    gain: float = 1.0
    scheme: bool = False
    params: tuple = ()

    def __post_init__(self):
        if self.scheme:
            from ..initializers import get_scheme
            get_scheme(self.name)
            object.__setattr__(self, "params", tuple(sorted(dict(self.params).items())))
        else:
            if self.name not in EQUAL_VARIANCE_KINDS:
                raise one_of("kind", EQUAL_VARIANCE_KINDS, self.name)
            if self.rule not in randmat.RULES:
                raise one_of("rule", randmat.RULES, self.rule)
            object.__setattr__(self, "gain", check_float("gain", self.gain, 0.0))
            if self.gain == 0.0:
                raise invalid("gain", "be > 0", self.gain)

    @classmethod
    def named(cls, scheme: str, **params) -> "Ensemble":
        """A named init scheme with its parameters (torch names)."""
        return cls(scheme, scheme=True, params=tuple(params.items()))

    @property
    def label(self) -> str:
        """Short legend text: ``normal`` (with `×g` when gain ≠ 1) or the scheme with its parameters."""
        if self.scheme:
            return self.name + "".join(f" {k}={v}" for k, v in self.params)
        return self.name if self.gain == 1.0 else f"{self.name} ×{self.gain:g}"

    def law(self, m: int, n: int) -> Law:
        """The entry law of an m×n matrix."""
        if self.scheme:
            from ..initializers import law
            out = law(self.name, (m, n), **dict(self.params))
        else:
            out = law_with_variance(self.name, self.gain ** 2 * randmat.rule_variance(self.rule, m, n), shape=(m, n))
        if not out.is_random or out.mean != 0.0 or out.var == 0.0:
            raise invalid("ensemble", "draw random matrices with mean 0 and variance > 0", self.label)
        return out


def as_ensemble(spec, rule: str = "1/m") -> Ensemble:
    """An :class:`Ensemble` from itself, an equal-variance kind name (with ``rule``) or a scheme name."""
    if isinstance(spec, Ensemble):
        return spec
    if isinstance(spec, str) and spec in EQUAL_VARIANCE_KINDS:
        return Ensemble(spec, rule=rule)
    if isinstance(spec, str):
        return Ensemble(spec, scheme=True)
    raise invalid("ensemble", "be an Ensemble, a law kind or a scheme name", spec)


def theory_deviation(law: Law, m: int, n: int) -> randmat.GramDeviation | None:
    """The expected entrywise deviation for ``law`` when a closed form exists (zero-mean random laws)."""
    if law.kind in (*IID_KINDS, "orthogonal", "sparse"):
        return randmat.gram_deviation_for_law(law, m, n)
    return None


def theory_opnorm(law: Law, m: int, n: int) -> tuple[float, float]:
    """(limit, finite-n approximation) of ‖WᵀW − I‖₂: orthogonal is exact (|g²−1|, at least 1 when
    n > m) for both; i.i.d. laws give :func:`randmat.opnorm_limit` and the Tracy–Widom-centred top
    eigenvalue (:func:`randmat.wishart_top_mean`) combined with the lower edge's limit; NaN otherwise."""
    if law.kind == "orthogonal":
        exact = abs(law.scale ** 2 - 1.0)
        exact = max(exact, 1.0) if n > m else exact
        return exact, exact
    if law.kind not in IID_KINDS:
        return math.nan, math.nan
    limit = randmat.opnorm_limit(m, n, law.var)
    if min(m, n) < 2:
        return limit, math.nan
    lo = randmat.marchenko_pastur(m, n, law.var).lo
    finite = max(abs(randmat.wishart_top_mean(m, n, law.var) - 1.0), abs(lo - 1.0), 1.0 if n > m else 0.0)
    return limit, finite


def check_shape(m, n) -> tuple[int, int]:
    m, n = check_int("m", m, 1, MAX_DIM), check_int("n", n, 1, MAX_DIM)
    if m * n > MAX_MATRIX_ENTRIES:
        raise invalid("n", f"keep m·n = {m * n:,} within MAX_MATRIX_ENTRIES = {MAX_MATRIX_ENTRIES:,}", n)
    return m, n


def iid_base(law: Law, m: int, n: int, gen: np.random.Generator, dtype) -> np.ndarray:
    """The base draw of an i.i.d. law as an m×n array (chunked and threaded by :meth:`Law.base`)."""
    return law.base((m, n), gen, dtype)


def sample_matrix(ensemble, m: int, n: int, seed=None, dtype="float32") -> np.ndarray:
    """One m×n matrix of ``ensemble`` (an :class:`Ensemble` or a kind/scheme name, rule 1/m)."""
    m, n = check_shape(m, n)
    ens = as_ensemble(ensemble)
    law = ens.law(m, n)
    gen = as_generator(seed)
    dt = as_dtype(dtype)
    if law.kind in IID_KINDS:
        return law.transform(iid_base(law, m, n, gen, dt))
    return law.sample((m, n), gen, dt)
