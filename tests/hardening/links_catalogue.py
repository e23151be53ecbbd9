"""A catalogue of malformed and hostile links, as data (issue 4; PLATFORM.md "Hardening").

Each :class:`Link` is what a stranger could put in the address bar: a page path and a raw query
string exactly as typed (percent-encoded where a browser would encode it), the class of fault it
probes, and whether it carries a value the app cannot honour (then a notice must be shown).

Expected outcomes are written here by hand from the link grammar of ``initviz/ui/links/grammar.py``'s
docstring (strict ASCII numbers, then range checks; enums by allow-list after ``strip().lower()``;
last repeated key wins; unknown keys ignored; over-long values ignored), never read from the
parser:

* ``names`` — text each notice list must contain (the parameter it names);
* ``applied`` — the canonical query the app must write back after the run (only the values that
  differ from the page's defaults), or ``None`` where a compute budget decides the result;
* ``markers`` — pieces of injected Markdown/HTML/LaTeX that must never reach an element that
  renders Markdown or HTML (they may appear, quoted, in plain ``st.text``/``st.code``).

Classes: ``numbers``, ``floats``, ``enums``, ``structure``, ``budget``, ``numerics``, ``injection``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

PAGES = ("propagation", "geometry", "initializers", "experiments", "training", "criticality", "width")
CLASSES = ("numbers", "floats", "enums", "structure", "budget", "numerics", "injection")


@dataclass(frozen=True)
class Link:
    page: str
    query: str
    cls: str
    invalid: bool
    names: tuple[str, ...] = ()
    applied: dict | None = None
    markers: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        shown = self.query if len(self.query) <= 60 else f"{self.query[:40]}...({len(self.query)} chars)"
        return f"{self.page}?{shown}"


def q(value: str) -> str:
    """A value as a browser puts it in a query string (UTF-8, percent-encoded)."""
    return quote(value, safe="")


CATALOGUE: list[Link] = []


def add(page: str, query: str, cls: str, invalid: bool, names=(), applied=None, markers=()) -> None:
    CATALOGUE.append(Link(page, query, cls, invalid, tuple(names), applied, tuple(markers)))


# --- numbers: strict ASCII integers, then the range ------------------------------------------------

INT_REJECTED = ("1e3", "0x10", "1_000", "١٢٣", " 5", "", "5.0", "５", "0b101", "1e309", "nan", "5 ", "--5",
                "5-", "٥", "1,000", "𝟓")
"""Not ``[+-]?[0-9]+``: the default is used, with a notice."""

for value in INT_REJECTED:
    add("propagation", f"depth={q(value)}", "numbers", True, ["depth"], {})
for value in ("1e3", "١٢٣", "1_000", " 5"):
    add("propagation", f"width={q(value)}", "numbers", True, ["width"], {})
for value in ("0x10", "5.0", ""):
    add("propagation", f"batch={q(value)}", "numbers", True, ["batch"], {})
for value in ("-", "١", "4294967296.0"):
    add("propagation", f"seed={q(value)}", "numbers", True, ["seed"], {})
for value in ("1e3", "0x10", "١٢٣", " 5", "5.0", "1_000"):
    add("geometry", f"rect_n={q(value)}", "numbers", True, ["rect_n"], {})
for value in ("1e3", "５", "", "0x200"):
    add("initializers", f"n_in={q(value)}", "numbers", True, ["n_in"], {})
for value in ("1e2", "٥٠"):
    add("experiments", f"jac_depth={q(value)}", "numbers", True, ["jac_depth"], {})

# out of range: clamped to the range (propagation: depth 1–200, width 1–2048, in_width 0–2048,
# batch 2–1024, n_seeds 1–8, seed 0–2³²−1). The defaults width 256, batch 256, depth 20 keep the
# clamped values inside the page's compute budget.
for name, big, small in (("depth", {"depth": "200"}, {"depth": "1"}), ("in_width", {"in_width": "2048"}, {}),
                         ("batch", {"batch": "1024"}, {"batch": "2"}), ("n_seeds", {"n_seeds": "8"}, {})):
    add("propagation", f"{name}=999999999", "numbers", True, [name], big)
    add("propagation", f"{name}=-1", "numbers", True, [name], small)
add("propagation", "width=-1", "numbers", True, ["width"], {"width": "1"})
add("propagation", "seed=99999999999999999999999999", "numbers", True, ["seed"], {"seed": "4294967295"})
add("propagation", "seed=-1", "numbers", True, ["seed"], {})
# on a ladder of allowed values (geometry: angle_n 2…10000, gram_n 8…128, mp_m 100…1600; experiments:
# jac_width 16…128, jac_depth 10…100): beyond the ends → the end rung; between rungs → the nearest in log distance
for name, top, bottom in (("angle_n", "10000", "2"), ("gram_n", "128", "8"), ("mp_m", "1600", "100")):
    add("geometry", f"{name}=999999999", "numbers", True, [name], {name: top})
    add("geometry", f"{name}=-1", "numbers", True, [name], {name: bottom})
add("geometry", "sweep_max=-1", "numbers", True, ["sweep_max"], {})
add("geometry", "angle_n=7", "numbers", True, ["angle_n"], {"angle_n": "5"})  # |ln 7/5| = .34 < |ln 10/7| = .36
add("geometry", "gram_n=100", "numbers", True, ["gram_n"], {"gram_n": "128"})  # |ln 128/100| = .25 < |ln 100/64| = .45
# 1–4096; 4096×128 stays within the page's budget; 512×4096 does not (the budget halves n to 2048)
add("geometry", "rect_m=999999999", "numbers", True, ["rect_m"], {"rect_m": "4096"})
add("geometry", "rect_n=999999999", "numbers", True, ["rect_n"], None)
for name in ("rect_m", "rect_n"):
    add("geometry", f"{name}=0", "numbers", True, [name], {name: "1"})
add("initializers", "n_in=999999999", "numbers", True, ["n_in"], {"n_in": "4096"})  # 256×4096 = 2²⁰: fits
add("initializers", "n_in=-1", "numbers", True, ["n_in"], {"n_in": "1"})
# clamped to 4096; the shape asked is kept whatever its size (only the histogram samples a part of it)
add("initializers", "n_out=999999999", "numbers", True, ["n_out"], {"n_out": "4096"})
add("initializers", "n_out=0", "numbers", True, ["n_out"], {"n_out": "1"})
add("initializers", "layer=conv1d&kernel=999999999", "numbers", True, ["kernel"], {"layer": "conv1d", "kernel": "9"})
add("initializers", "layer=conv2d&kernel=-3", "numbers", True, ["kernel"], {"layer": "conv2d", "kernel": "1"})
for name, top, bottom in (("jac_width", "128", "16"), ("jac_depth", "100", "10")):
    add("experiments", f"{name}=999999999", "numbers", True, [name], {name: top})
    add("experiments", f"{name}=-1", "numbers", True, [name], {name: bottom})
# accepted as written: an explicit sign (%2B is '+'; a raw '+' is a space), leading zeros, -0
add("propagation", "depth=%2B5", "numbers", False, applied={"depth": "5"})
add("propagation", "depth=007", "numbers", False, applied={"depth": "7"})
add("propagation", "in_width=-0", "numbers", False, applied={})
add("propagation", "depth=+5", "numbers", True, ["depth"], {})  # '+' decodes to a space: " 5"
add("geometry", "rect_m=0064", "numbers", False, applied={"rect_m": "64"})


# --- floats: strict decimal grammar, finite, then the range ---------------------------------------

FLOAT_REJECTED = ("nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "1,5", ".", "--1", "1e",
                  "e5", "0x1p3", "١.٥", "", " 0.5", "0.5 ", "1.5.2", "½", "∞")
"""Not ``[+-]?(digits[.digits] | .digits)([eE][+-]?digits)?`` or not finite: the default, with a notice."""

for value in FLOAT_REJECTED:
    add("propagation", f"xavier_normal_gain={q(value)}", "floats", True, ["xavier_normal_gain"], {})
for value in ("nan", "inf", "1e309", "1,5", ".", "--1", "٠٫٥", ""):
    add("geometry", f"mp_ratio={q(value)}", "floats", True, ["mp_ratio"], {})
add("geometry", "mp_ratio=1e308", "floats", True, ["mp_ratio"], {"mp_ratio": "4.0"})  # range 0.05–4
add("geometry", "mp_ratio=-1", "floats", True, ["mp_ratio"], {"mp_ratio": "0.05"})
for value in ("nan", "-inf", "1e309", "0x10"):
    add("initializers", f"kaiming_normal_a={q(value)}", "floats", True, ["kaiming_normal_a"], {})
add("initializers", "kaiming_normal_a=1e308", "floats", True, ["kaiming_normal_a"], {"kaiming_normal_a": "1000000.0"})
for value in ("nan", "inf", "1,5"):
    add("propagation", f"inputs=correlated&input_corr={q(value)}", "floats", True, ["input_corr"],
        {"inputs": "correlated"})
add("propagation", "inputs=correlated&input_corr=2", "floats", True, ["input_corr"],
    {"inputs": "correlated", "input_corr": "1.0"})
add("propagation", "inputs=correlated&input_corr=-1e308", "floats", True, ["input_corr"],
    {"inputs": "correlated", "input_corr": "-1.0"})
add("propagation", "bias=constant&bias_value=1e309", "floats", True, ["bias_value"], {"bias": "constant"})
add("propagation", "bias=constant&bias_value=1000", "floats", True, ["bias_value"],
    {"bias": "constant", "bias_value": "100.0"})
add("propagation", "activation=elu&elu_alpha=-1", "floats", True, ["elu_alpha"],
    {"activation": "elu", "elu_alpha": "0.0"})
add("propagation", "scheme=normal&normal_std=-1", "floats", True, ["normal_std"],
    {"scheme": "normal", "normal_std": "0.0"})
# accepted: '5.', '+.5', '1E-3', an underflow to 0, -0 (the same setting as 0)
add("propagation", "xavier_normal_gain=5.", "floats", False, applied={"xavier_normal_gain": "5.0"})
add("propagation", "xavier_normal_gain=%2B.5", "floats", False, applied={"xavier_normal_gain": "0.5"})
add("propagation", "xavier_normal_gain=1E-3", "floats", False, applied={"xavier_normal_gain": "0.001"})
add("propagation", "xavier_normal_gain=1e-400", "floats", False, applied={"xavier_normal_gain": "0.0"})
add("geometry", "mp_ratio=-0", "floats", True, ["mp_ratio"], {"mp_ratio": "0.05"})


# --- enums: exact allow-list after strip().lower(); anything non-ASCII is rejected ----------------

for value, applied in (("TANH", {}), ("RELU", {"activation": "relu"}), (" relu ", {"activation": "relu"}),
                       ("Relu", {"activation": "relu"}), ("+gelu", {"activation": "gelu"})):
    add("propagation", f"activation={q(value) if value[0] != '+' else value}", "enums", False, applied=applied)
for value in ("softmax", "tаnh", "ｔａｎｈ", "relu\u200b", "re lu", "relu,tanh", "SİGMOID", "\u00a0relu", "relu;",
              "0", "Tanh\u0301"):
    add("propagation", f"activation={q(value)}", "enums", True, ["activation"], {})
add("propagation", "dtype=FLOAT64", "enums", False, applied={"dtype": "float64"})
for value in ("float16", "f32", "double"):
    add("propagation", f"dtype={value}", "enums", True, ["dtype"], {})
add("propagation", "draws=2", "enums", False, applied={"draws": "2"})
add("propagation", "draws=1", "enums", False, applied={})  # version 1 is the default: absent from the link
add("propagation", f"draws={q(' 2 ')}", "enums", False, applied={"draws": "2"})
for value in ("3", "0", "02", "2.0", "v2", "-1", "1e0", "２", "2,1", "", "99999999999999999999"):  # an unknown version
    add("propagation", f"draws={q(value)}", "enums", True, ["draws"], {})          # falls back to v1, with a notice
add("propagation", "inputs=Correlated", "enums", False, applied={"inputs": "correlated"})
add("propagation", "inputs=uniform", "enums", True, ["inputs"], {})
add("propagation", "bias=Normal", "enums", False, applied={"bias": "normal"})
add("propagation", "bias=none", "enums", True, ["bias"], {})
add("propagation", "view=Backward", "enums", False, applied={"view": "backward"})
add("propagation", "view=sideways", "enums", True, ["view"], {})
add("propagation", "hist_of=PREACT", "enums", False, applied={"hist_of": "preact"})
add("propagation", "hist_of=weights", "enums", True, ["hist_of"], {})
add("propagation", "scheme=Kaiming_Normal", "enums", False, applied={"scheme": "kaiming_normal"})
for value in ("\u212aaiming_normal", "dirac", "xavier", "kaiming-normal"):  # K = KELVIN SIGN; dirac is conv-only
    add("propagation", f"scheme={q(value)}", "enums", True, ["scheme"], {})
add("propagation", "scheme=kaiming_normal&kaiming_normal_mode=FAN_OUT", "enums", False,
    applied={"scheme": "kaiming_normal", "kaiming_normal_mode": "fan_out"})
add("propagation", "scheme=kaiming_normal&kaiming_normal_mode=fan-out", "enums", True, ["kaiming_normal_mode"],
    {"scheme": "kaiming_normal"})
add("propagation", "compare=KAIMING_NORMAL", "enums", False, applied={"compare": "kaiming_normal"})
add("propagation", "compare=kaiming_normal,bogus", "enums", True, ["compare", "bogus"], {"compare": "kaiming_normal"})
add("propagation", "compare=kaiming_normal,kaiming_normal", "enums", True, ["compare"], {"compare": "kaiming_normal"})
add("propagation", "compare=%2C%2C%2C", "enums", True, ["compare"], {})
add("propagation", "compare=xavier_normal", "enums", True, ["compare"], {})  # the configured scheme itself
add("propagation", "compare=kaiming_normal,orthogonal,sparse,lecun_normal", "enums", True, ["compare"],
    {"compare": "kaiming_normal,orthogonal,sparse"})
add("geometry", "gram_dist=Uniform", "enums", False, applied={"gram_dist": "uniform"})
add("geometry", "gram_dist=cauchy", "enums", True, ["gram_dist"], {})
add("geometry", "rule=FAN_IN", "enums", False, applied={"rule": "fan_in"})
add("geometry", f"rule={q('fan in')}", "enums", True, ["rule"], {})
add("geometry", "sweep_dists=normal,cauchy", "enums", True, ["sweep_dists"], {"sweep_dists": "normal"})
add("geometry", "sweep_dists=cauchy", "enums", True, ["sweep_dists"], {})
add("geometry", "mp_dist=ORTHOGONAL", "enums", False, applied={"mp_dist": "orthogonal"})
add("geometry", f"rect_dist={q('ｎｏｒｍａｌ')}", "enums", True, ["rect_dist"], {})
add("initializers", "layer=CONV2D&n_in=64", "enums", False, applied={"layer": "conv2d", "n_in": "64"})
add("initializers", "layer=conv4d", "enums", True, ["layer"], {})
add("initializers", "scheme=Orthogonal", "enums", False, applied={"scheme": "orthogonal"})
add("initializers", "scheme=he_normal", "enums", True, ["scheme"], {})
add("initializers", f"scheme={q('οrthogonal')}", "enums", True, ["scheme"], {})  # Greek omicron


# --- structure: keys, repeats, sizes, encodings -----------------------------------------------------

add("propagation", "depth=5&depth=7", "structure", True, ["depth", "2 times"], {"depth": "7"})
add("propagation", "depth=5&depth=abc", "structure", True, ["depth"], {})
add("propagation", "depth=abc&depth=5", "structure", True, ["depth", "2 times"], {"depth": "5"})
add("propagation", "&".join(f"depth={i}" for i in range(1, 1001)), "structure", True, ["1000 times", "depth"],
    {"depth": "200"})
add("propagation", "bogus=1", "structure", True, ["bogus"], {})
add("propagation", "DEPTH=5", "structure", True, ["DEPTH"], {})
add("propagation", "depth%5B%5D=5", "structure", True, ["depth[]"], {})
add("propagation", "depth[0]=5", "structure", True, ["depth[0]"], {})
add("propagation", "a[b][c]=1&__proto__=1&constructor[prototype][x]=1", "structure", True,
    ["a[b][c]", "__proto__"], {})
add("propagation", "&".join(f"k{i}={i}" for i in range(1000)), "structure", True, ["more than 64", "k0"], {})
add("propagation", "&".join(f"k{i}={i}" for i in range(999)) + "&depth=5", "structure", True, ["more than 64"], {})
# Streamlit itself drops a query of more than 1000 parameters whole (a server-side log warning): the
# app never sees it and the page opens at its defaults, without a notice.
add("propagation", "&".join(f"k{i}={i}" for i in range(1000)) + "&depth=5", "structure", False, applied={})
add("geometry", "&".join(f"k{i}=" for i in range(1000)), "structure", True, ["more than 64"], {})
add("propagation", "depth=" + "9" * 100_000, "structure", True, ["depth", "longer than"], {})
add("propagation", "activation=" + "a" * 100_000, "structure", True, ["activation", "longer than"], {})
add("propagation", "x" * 100_000 + "=1", "structure", True, ["xxxx"], {})
add("geometry", "seed=" + "1" * 300, "structure", True, ["seed"], {})
add("propagation", "depth=%00", "structure", True, ["depth"], {})
add("propagation", "depth=5%00", "structure", True, ["depth"], {})
add("propagation", "activation=tanh%00", "structure", True, ["activation"], {})
add("propagation", "%00=1", "structure", True, ["x00"], {})
add("propagation", "depth=%", "structure", True, ["depth"], {})
add("propagation", "depth=%2", "structure", True, ["depth"], {})
add("propagation", "depth=%zz", "structure", True, ["depth"], {})
add("propagation", "activation=%E2%82", "structure", True, ["activation"], {})  # truncated UTF-8
add("propagation", "activation=%ff%fe", "structure", True, ["activation"], {})
add("propagation", "%=5", "structure", True, ["%"], {})
add("propagation", "depth", "structure", True, ["depth", "empty"], {})
add("propagation", "=5", "structure", True, ["''"], {})
add("propagation", "&&&depth=5&&&", "structure", False, applied={"depth": "5"})
add("propagation", "depth=5?depth=6", "structure", True, ["depth"], {})
add("propagation", "embed=true", "structure", False, applied={})
add("propagation", "embed_options=dark_theme&depth=5", "structure", False, applied={"depth": "5"})
add("propagation", "input_corr=0.9", "structure", True, ["input_corr", "only applies"], {})
add("propagation", "kaiming_normal_mode=fan_out", "structure", True, ["kaiming_normal_mode", "only applies"], {})
add("geometry", "depth=5", "structure", True, ["depth", "geometry"], {})  # another page's parameter
add("initializers", "kernel=5", "structure", True, ["kernel", "only applies"], {})  # dense has no kernel
add("experiments", "jac_width=64&jac_width=32&bogus=%00", "structure", True, ["jac_width", "bogus"],
    {"jac_width": "32"})


# --- budget: the most expensive allowed view of each page, and beyond ----------------------------

# within every budget as given (no notice): the largest views that need no reduction
add("propagation", "depth=200&width=256&batch=256", "budget", False)
# 5 seeds × 200 layers = 1000 ≤ 2¹⁰ layers; 5·256·200·64 = 16.4 M ≤ 2²⁴ activations; 1.05e9 ≤ 2³² multiply–adds
add("propagation", "depth=200&width=64&batch=256&n_seeds=5", "budget", False)
# draws per 512² layer: normal 1 + kaiming 1 + orthogonal (2 + 512/60) + truncated 9 ≈ 21.5 → 23 layers ≤ 2²⁷
add("propagation", "depth=23&width=512&batch=64&compare=kaiming_normal,orthogonal,trunc_normal", "budget", False)
for query in ("depth=200&width=256&batch=256", "depth=200&width=64&batch=256&n_seeds=5",
              "depth=23&width=512&batch=64&compare=kaiming_normal,orthogonal,trunc_normal"):
    add("propagation", query + "&view=backward", "budget", False)  # the same, with the backward pass
# beyond (issue 12, item 1): the page cuts only the statistical sample (batch, then seeds) with a notice next to
# each control; a view that still does not fit is not computed — the page says so and offers choices that fit —
# instead of lowering depth and widths (the question) as it did before
UNFIT = "nothing is computed"
CUT = "the hosted demo computes for one view"
add("propagation", "depth=200&width=2048&in_width=2048&batch=1024&n_seeds=8"
    "&compare=kaiming_normal,orthogonal,trunc_normal", "budget", True, [UNFIT])
add("propagation", "depth=200&width=2048&batch=1024&n_seeds=8&dtype=float64&scheme=orthogonal"
    "&compare=trunc_normal,sparse,kaiming_uniform", "budget", True, [UNFIT])
add("propagation", "depth=200&width=64&batch=1024&n_seeds=8&compare=kaiming_normal,orthogonal,trunc_normal",
    "budget", True, ["Batch (inputs per seed): 1024", "Networks (seeds): 8", CUT],
    {"depth": "200", "width": "64", "compare": "kaiming_normal,orthogonal,trunc_normal", "batch": "1024",
     "n_seeds": "8"})
add("propagation", "depth=1&width=2048&in_width=2048&batch=1024&n_seeds=8&scheme=orthogonal", "budget", True,
    [UNFIT])
add("propagation", "depth=999999999&width=999999999&batch=999999999&n_seeds=999999999&in_width=999999999",
    "budget", True, ["depth", "width", UNFIT],
    {"depth": "200", "width": "2048", "in_width": "2048", "batch": "1024", "n_seeds": "8"})
# within the budget as given: one i.i.d. sweep to 4096 with the largest angles and Gram
add("geometry", "angle_n=10000&gram_n=128&sweep_max=4096&sweep_dists=normal", "budget", False,
    applied={"angle_n": "10000", "gram_n": "128", "sweep_dists": "normal", "sweep_max": "4096"})
# beyond: everything at its maximum; 1600 rows at λ ≥ 0.81 exceed the core's eigen-work limit whatever
# the step; the compute budget counts the step shown only (the variants below and at the end), and a
# step over it keeps its sizes (the question) and offers choices
EVERYTHING = ("angle_n=10000&gram_n=128&sweep_max=4096&sweep_dists=normal,uniform,rademacher,trunc_normal,orthogonal"
              "&mp_m=1600&mp_ratio=1&mp_dist=orthogonal&rect_m=2048&rect_n=2048&rect_dist=orthogonal&rule=fan_avg")
add("geometry", EVERYTHING, "budget", True, ["mp_m"])
for step in ("sweep", "rectangular"):  # over the hosted budget: the sizes kept, nothing computed, choices offered
    add("geometry", f"{EVERYTHING}&step={step}", "budget", True, ["mp_m", "nothing is computed"])
# 4096×4096 is 2²⁴ entries > 2²²: n drops to 2²² / 4096 = 1024, then the budget
add("geometry", "rect_m=4096&rect_n=4096&rect_dist=orthogonal&mp_m=1600&mp_ratio=4&mp_dist=trunc_normal",
    "budget", True, ["rect_n", "mp_m"])
add("geometry", "sweep_max=999999999&sweep_dists=orthogonal,trunc_normal", "budget", True, ["sweep_max"])
add("initializers", "layer=dense&n_in=4096&n_out=256&scheme=orthogonal", "budget", False,
    applied={"n_in": "4096", "scheme": "orthogonal"})
add("initializers", "layer=conv3d&n_in=4096&n_out=4096&kernel=9&scheme=orthogonal", "budget", False,
    applied={"layer": "conv3d", "n_in": "4096", "n_out": "4096", "kernel": "9", "scheme": "orthogonal"})
add("initializers", "layer=conv3d&n_in=4096&n_out=4096&kernel=9&scheme=dirac&dirac_groups=65536", "budget", True,
    ["dirac_groups"])
add("initializers", "n_in=4096&n_out=256&scheme=sparse&sparse_sparsity=0.5", "budget", False,
    applied={"n_in": "4096", "scheme": "sparse", "sparse_sparsity": "0.5"})
add("experiments", "jac_width=128&jac_depth=100", "budget", False, applied={"jac_width": "128", "jac_depth": "100"})
add("experiments", "jac_width=999999999&jac_depth=999999999", "budget", True, ["jac_width", "jac_depth"],
    {"jac_width": "128", "jac_depth": "100"})


# --- numerics: overflow, vanishing and degenerate laws (annotated, never plotted as NaN/inf) ------

NUMERICS_PROPAGATION = (
    "xavier_normal_gain=1e6",
    "activation=linear&xavier_normal_gain=1e6&depth=200",
    "activation=linear&xavier_normal_gain=1e6&depth=200&dtype=float64&batch=128",
    "activation=linear&xavier_normal_gain=10&depth=200&dtype=float64&batch=128",  # float64 survives to ~layer 150
    "activation=relu&scheme=normal&normal_std=1e6&depth=50",
    "activation=linear&scheme=normal&normal_std=1e-300",
    "activation=linear&scheme=normal&normal_std=1e-300&dtype=float64",
    "activation=tanh&scheme=normal&normal_std=1e-20&depth=200&dtype=float64&batch=128",
    "scheme=normal&normal_std=0",
    "scheme=zeros&compare=ones,eye",
    "activation=linear&scheme=ones&depth=200",
    "activation=linear&scheme=constant&constant_val=1e6&depth=10&dtype=float64",
    "activation=linear&scheme=uniform&uniform_a=-1e6&uniform_b=1e6&depth=200",
    "scheme=uniform&uniform_a=5&uniform_b=5",
    "activation=leaky_relu&leaky_relu_negative_slope=-100&depth=200",
    "activation=elu&elu_alpha=100&xavier_normal_gain=1e3&depth=100",
    "activation=sigmoid&xavier_normal_gain=1e6&depth=200",
    "activation=gelu&xavier_normal_gain=1e6&dtype=float64&depth=200&batch=128",
    "activation=selu&xavier_normal_gain=1e3&depth=200",
    "activation=linear&bias=constant&bias_value=100&xavier_normal_gain=1e3&depth=200",
    "inputs=correlated&input_corr=1&activation=relu&depth=200",
    "inputs=correlated&input_corr=-1&activation=tanh",
    "inputs=unit_norm&in_width=1&width=1&depth=200&batch=2",
    "scheme=orthogonal&orthogonal_gain=-1e6&activation=linear&depth=150",
    "scheme=kaiming_normal&kaiming_normal_a=1e6&activation=relu&depth=200",
    "scheme=sparse&sparse_sparsity=1&sparse_std=1e6",
)
for query in NUMERICS_PROPAGATION:  # in each view: the backward pass, its charts and the gradient histograms
    for view in ("", "&view=backward", "&view=histograms&hist_of=grad"):
        add("propagation", query + view, "numerics", False)
add("propagation", "bias=normal&bias_value=-100&activation=relu", "numerics", True, ["bias_value"],
    {"activation": "relu", "bias": "normal", "bias_value": "100.0"})
# bounds valid one by one but not together are swapped with a notice (issue 12, item 9; the page used to show
# the core's refusal and no chart)
add("propagation", "scheme=uniform&uniform_a=5&uniform_b=-5", "numerics", True, ["uniform_a", "swapped"],
    {"scheme": "uniform", "uniform_a": "-5.0", "uniform_b": "5.0"})
add("propagation", "scheme=trunc_normal&trunc_normal_a=10&trunc_normal_b=-10", "numerics", True,
    ["trunc_normal_a", "swapped"], {"scheme": "trunc_normal", "trunc_normal_a": "-10.0", "trunc_normal_b": "10.0"})
for query in ("scheme=normal&normal_std=1e6&normal_mean=-1e6",
              "scheme=trunc_normal&trunc_normal_a=30&trunc_normal_b=31",
              "scheme=trunc_normal&trunc_normal_a=-1e6&trunc_normal_b=-999999",
              "scheme=uniform&uniform_a=-1e6&uniform_b=1e6",
              "scheme=kaiming_normal&kaiming_normal_a=1e6",
              "scheme=sparse&sparse_sparsity=1",
              "scheme=variance_scaling&variance_scaling_scale=1e6&variance_scaling_mode=fan_geo_avg",
              "scheme=orthogonal&orthogonal_gain=0&n_in=1&n_out=4096"):
    add("initializers", query, "numerics", False)
add("initializers", "scheme=uniform&uniform_a=1&uniform_b=-1", "numerics", True, ["uniform_a", "swapped"],
    {"scheme": "uniform", "uniform_a": "-1.0"})  # b = 1 is the default
add("initializers", "scheme=trunc_normal&trunc_normal_std=0", "numerics", True, ["`std`"])
# groups must divide the outputs: the largest divisor up to the one asked, with a notice (issue 12, item 9)
add("initializers", "layer=conv3d&kernel=9&n_in=1&n_out=1&scheme=dirac&dirac_groups=7", "numerics", True,
    ["dirac_groups", "largest divisor"],
    {"layer": "conv3d", "n_in": "1", "n_out": "1", "kernel": "9", "scheme": "dirac"})
add("initializers", "scheme=dirac", "numerics", True, ["layer", "Conv 2-D"], None)
for query in ("mp_ratio=4&mp_m=100&mp_dist=rademacher", "mp_ratio=0.05&mp_m=100", "angle_n=2&seed=4294967295",
              "rect_m=1&rect_n=4096&rule=fan_out&rect_dist=trunc_normal", "rect_m=4096&rect_n=1&rule=fan_in"):
    add("geometry", query, "numerics", False)


# --- injection: Markdown, images, LaTeX, HTML in every text-ish place ----------------------------

EVIL = "evil.example"
PAYLOADS = (
    ("[x](//evil.example)", (EVIL, "](")),
    ("![x](http://evil.example/y.png)", (EVIL, "![")),
    ("$\\href{//evil.example}{x}$", (EVIL, "\\href")),
    ("<img src=x onerror=alert(1)>", ("onerror", "<img")),
    ("<script>alert(1)</script>", ("<script", "alert(1)")),
    ("<a href=//evil.example>x</a>", (EVIL, "<a href")),
    (":red[pwned] :material/warning:", ("pwned",)),
    ("javascript:alert(1)", ("javascript:",)),
    ("<https://evil.example>", (EVIL,)),
    ("https://evil.example/x", (EVIL,)),
    ("[x]: //evil.example", (EVIL,)),
    ("$$\\int$$ **bold** `code`", ("\\int", "**bold**")),
)
"""(payload, markers): each payload's markers must never reach Markdown- or HTML-rendered output."""

TEXT_PARAMS = {
    "propagation": ("activation", "scheme", "bias", "compare", "inputs", "dtype", "hist_of", "depth", "seed",
                    "xavier_normal_gain"),
    "geometry": ("gram_dist", "sweep_dists", "mp_dist", "rule", "rect_dist", "mp_ratio"),
    "initializers": ("layer", "scheme", "kaiming_normal_mode", "n_out"),
    "experiments": ("jac_width",),
    "training": ("task", "optimizer", "scheme", "activation", "view", "lr", "steps"),
    "criticality": ("activation", "view", "pt_sw", "res", "seed"),
    "width": ("parametrisation", "optimizer", "lr", "max_width", "statistic", "mistake", "readout_zero", "view",
              "sweep_from", "arch", "preset"),
}
"""Every parameter whose value a link spells as text (choices, lists) plus a number of each kind."""

_turn = 0
for page, names in TEXT_PARAMS.items():
    for name in names:
        for _ in range(2 if page == "propagation" and name in ("activation", "compare", "scheme") else 1):
            payload, markers = PAYLOADS[_turn % len(PAYLOADS)]
            _turn += 1
            add(page, f"{name}={q(payload)}", "injection", True, [name], {}, markers)
for i, (payload, markers) in enumerate(PAYLOADS):  # as unknown keys, and as an unknown key's value
    page = PAGES[i % len(PAGES)]
    add(page, f"{q(payload)}=1", "injection", True, ["not a parameter"], {}, markers)
    add(page, f"note={q(payload)}", "injection", True, ["note"], {}, markers)
add("propagation", f"{q('[x](//evil.example)')}%5B%5D={q('<img src=x onerror=alert(1)>')}&depth=5", "injection",
    True, ["not a parameter"], {"depth": "5"}, (EVIL, "onerror"))
add("propagation", f"compare=kaiming_normal,{q('<script>alert(1)</script>')}", "injection", True, ["compare"],
    {"compare": "kaiming_normal"}, ("<script",))
add("geometry", f"sweep_dists=normal,{q('![x](http://evil.example/y.png)')}", "injection", True, ["sweep_dists"],
    {"sweep_dists": "normal"}, (EVIL,))
# a list that may be empty keeps its valid items: none here, so nothing is compared (a 1-scheme view)
add("training", "compare=" + q(PAYLOADS[2][0]) + "&steps=20", "injection", True, ["compare"],
    {"compare": "", "steps": "20"}, PAYLOADS[2][1])


# --- the Training page: every parameter ------------------------------------------------------------
# Its views train networks (the default view: 4 schemes × 3 seeds × 300 steps, ~2 s on two workers, is
# computed once when the session opens the page, then kept): a link that changes what is trained also
# asks for few steps (steps=20), so that each stays well within the time a link may take.

for value in ("1e3", "0x10", "5.0", "", "١٢٣"):
    add("training", f"depth={q(value)}", "numbers", True, ["depth"], {})
for name in ("width", "steps", "batch", "n_seeds", "seed"):
    add("training", f"{name}=1e3", "numbers", True, [name], {})
add("training", "depth=999999999&steps=20&compare=", "numbers", True, ["depth"],
    {"depth": "20", "compare": "", "steps": "20"})
add("training", "depth=-1&steps=20", "numbers", True, ["depth"], {"depth": "1", "steps": "20"})
add("training", "width=-5&steps=20", "numbers", True, ["width"], {"width": "1", "steps": "20"})
add("training", "steps=-1", "numbers", True, ["steps"], {"steps": "1"})
add("training", "batch=0&steps=20", "numbers", True, ["batch"], {"batch": "1", "steps": "20"})
# clamped to 8, kept in the link; 8 seeds are over the hosted budget with the rest at the defaults: the
# page trains 3 and says both under the control
add("training", "n_seeds=999999999", "numbers", True, ["Networks (seeds)", "above the maximum", "using 3"],
    {"n_seeds": "8"})
add("training", "view=layers&diag_layer=99", "numbers", True, ["diag_layer"], {"view": "layers"})
add("training", "view=layers&diag_layer=-1", "numbers", True, ["diag_layer"], {"view": "layers"})
add("training", "view=layers&diag_layer=2", "numbers", False, applied={"view": "layers", "diag_layer": "2"})
for value in ("1e3", "0x10", "", "٣"):  # not an ASCII integer: the default (50) stays
    add("training", f"view=layers&hist_step={q(value)}", "numbers", True, ["hist_step"], {"view": "layers"})
add("training", "view=layers&steps=20&hist_step=-1", "numbers", True, ["hist_step", "below the minimum"],
    {"view": "layers", "steps": "20", "hist_step": "0"})  # clamped to 0
add("training", "view=layers&steps=20&hist_step=999999999", "numbers", True, ["hist_step"],
    {"view": "layers", "steps": "20", "hist_step": "19"})  # clamped to the range, then to the run's last step
add("training", "view=layers&steps=20&hist_step=60", "numbers", True, ["hist_step", "using 19"],
    {"view": "layers", "steps": "20", "hist_step": "19"})
add("training", "view=layers&steps=20&hist_step=7", "numbers", False,
    applied={"view": "layers", "steps": "20", "hist_step": "7"})
add("training", "batch=512&task=spirals&steps=20", "numbers", False,
    applied={"task": "spirals", "steps": "20", "batch": "512"})
for value in ("nan", "inf", "1e309", "1,5", ""):
    add("training", f"lr={q(value)}", "floats", True, ["lr"], {})
    add("training", f"momentum={q(value)}", "floats", True, ["momentum"], {})
    add("training", f"weight_decay={q(value)}", "floats", True, ["weight_decay"], {})
add("training", "lr=0.07&steps=20", "floats", True, ["lr", "nearest"], {"steps": "20"})  # snaps to the default 0.05
add("training", "lr=1e9&steps=20", "floats", True, ["lr"], {"lr": "2.0", "steps": "20"})
add("training", "momentum=2&steps=20", "floats", True, ["momentum"], {"momentum": "0.99", "steps": "20"})
add("training", "weight_decay=-1&steps=20", "floats", True, ["weight_decay"], {"steps": "20"})
add("training", "lr=1E-3&steps=20", "floats", False, applied={"lr": "0.001", "steps": "20"})
for name, value, applied in (("task", "SPIRALS", "spirals"), ("optimizer", "ADAM", "adam"),
                             ("activation", " Tanh ", "tanh"), ("dtype", "FLOAT64", "float64")):
    add("training", f"{name}={q(value)}&steps=20", "enums", False, applied={name: applied, "steps": "20"})
for name, value in (("task", "mnist"), ("optimizer", "rmsprop"), ("activation", "softmax"), ("dtype", "float16"),
                    ("view", "sideways"), ("scheme", "dirac"), ("log_y", "maybe"), ("bias", "none")):
    add("training", f"{name}={q(value)}", "enums", True, [name], {})
add("training", "view=Layers", "enums", False, applied={"view": "layers"})
add("training", "log_y=OFF", "enums", False, applied={"log_y": "false"})
add("training", "compare=bogus,zeros", "enums", True, ["compare", "bogus"], {"compare": "zeros"})
add("training", "compare=kaiming_normal&steps=20", "enums", True, ["compare"], {"compare": "", "steps": "20"})
add("training", "compare=&steps=20", "structure", False, applied={"compare": "", "steps": "20"})
add("training", "steps=5&steps=20", "structure", True, ["steps", "2 times"], {"steps": "20"})
add("training", "optimizer=adam&momentum=0.5&steps=20", "structure", True, ["momentum", "only applies"],
    {"optimizer": "adam", "steps": "20"})
add("training", "diag_layer=3", "structure", True, ["diag_layer", "only applies"], {})
add("training", "hist_step=3", "structure", True, ["hist_step", "only applies"], {})
add("training", "input_corr=0.5", "structure", True, ["input_corr"], {})  # another page's parameter
add("training", "bogus=1&" + "&".join(f"k{i}={i}" for i in range(70)), "structure", True, ["more than 64"], {})
# budget: the link keeps what was asked; the page trains fewer seeds, or nothing and offers choices
add("training", "compare=&n_seeds=4&steps=400", "budget", False,
    applied={"compare": "", "steps": "400", "n_seeds": "4"})
add("training", "depth=20&width=512&n_seeds=8&batch=512&steps=2000&compare=", "budget", False,
    applied={"depth": "20", "width": "512", "n_seeds": "8", "batch": "512", "steps": "2000", "compare": ""})
add("training", "depth=999999999&width=999999999&n_seeds=999999999&batch=999999999&steps=999999999&compare=",
    "budget", True, ["depth", "width", "steps", "nothing is trained"])
for query in ("scheme=normal&normal_std=1e6&steps=20", "activation=linear&scheme=ones&depth=20&steps=20",
              "lr=2&momentum=0.99&steps=50", "optimizer=adam&lr=2&steps=20", "scheme=zeros&compare=ones,eye&steps=20",
              "task=teacher&scheme=normal&normal_std=1e3&steps=20&dtype=float64",
              "activation=sigmoid&scheme=constant&constant_val=-1e6&steps=20&view=layers",
              "task=spirals&depth=1&width=1&batch=1&steps=20&n_seeds=1"):
    add("training", query, "numerics", False)
# the architecture (Propagation's parameters and preset rules; a norm needs residual blocks here)
add("training", "arch=Pre&steps=20", "enums", False, applied={"arch": "pre", "steps": "20"})
add("training", "arch=resnet&steps=20", "enums", True, ["arch"], {"steps": "20"})
add("training", "arch=pre&branch_depth=3&steps=20", "numbers", True, ["branch_depth"], {"arch": "pre", "steps": "20"})
add("training", "branch_depth=1&steps=20", "structure", True, ["branch_depth", "only applies"], {"steps": "20"})
add("training", "preset=gpt2&steps=20", "structure", True, ["preset", "only applies"], {"steps": "20"})
add("training", "norm=layernorm&steps=20", "structure", True, ["norm", "only applies"], {"steps": "20"})
add("training", "arch=pre&final_norm=true&steps=20", "structure", True, ["final_norm", "only applies"],
    {"arch": "pre", "steps": "20"})
add("training", "arch=pre&norm=LayerNorm&final_norm=ON&steps=20", "enums", False,
    applied={"arch": "pre", "norm": "layernorm", "final_norm": "true", "steps": "20"})
add("training", f"arch=pre&preset={q('<b>gpt2</b>')}&steps=20", "injection", True, ["preset"],
    {"arch": "pre", "steps": "20"}, ("<b>",))
add("training", "arch=pre&preset=deepnorm&steps=20", "numerics", True, ["arch", "deepnorm"],
    {"arch": "post", "preset": "deepnorm", "steps": "20"})
add("training", "arch=pre&norm=rmsnorm&final_norm=true&preset=fixup&branch_depth=1&steps=20", "numerics", True,
    ["norm", "final_norm", "branch_depth"], {"arch": "pre", "preset": "fixup", "steps": "20"})
add("training", "arch=post&depth=20&width=32&view=layers&diag_layer=42&steps=20", "numbers", False,
    applied={"arch": "post", "depth": "20", "width": "32", "view": "layers", "diag_layer": "42", "steps": "20"})
add("training", "arch=pre&depth=2&view=layers&diag_layer=7&steps=20", "numbers", True, ["diag_layer"],
    {"arch": "pre", "depth": "2", "view": "layers", "steps": "20"})
add("training", "arch=pre&depth=20&width=512&n_seeds=8&batch=512&steps=2000&compare=", "budget", False,
    applied={"arch": "pre", "depth": "20", "width": "512", "n_seeds": "8", "batch": "512", "steps": "2000",
             "compare": ""})

# --- the Criticality page: every parameter ----------------------------------------------------------
# (every view within the bounds fits: the budget link is the largest one, computed as asked)

for value in ("1e3", "0x10", "5.0", "", "١٢٣"):
    add("criticality", f"res={q(value)}", "numbers", True, ["res"], {})
for name in ("depth", "width", "n_seeds", "seed"):
    add("criticality", f"{name}=1e3", "numbers", True, [name], {})
add("criticality", "activation=relu&res=999", "numbers", True, ["res"], {"activation": "relu", "res": "41"})
add("criticality", "res=0", "numbers", True, ["res"], {"res": "5"})
add("criticality", "depth=-1", "numbers", True, ["depth"], {"depth": "1"})
add("criticality", "width=99999", "numbers", True, ["width"], {"width": "1000"})
add("criticality", "n_seeds=0", "numbers", True, ["n_seeds"], {"n_seeds": "1"})
for value in ("nan", "inf", "1e309", "1,5", ""):
    for name in ("pt_sw", "pt_sb", "sw_max", "c0", "q0"):
        add("criticality", f"{name}={q(value)}", "floats", True, [name], {})
add("criticality", "pt_sw=-1", "floats", True, ["pt_sw"], {"pt_sw": "0.0"})
add("criticality", "pt_sb=1e9", "floats", True, ["pt_sb"], {"pt_sb": "6.0"})
add("criticality", "c0=2&q0=0", "floats", True, ["c0", "q0"], {"c0": "1.0", "q0": "0.01"})
add("criticality", "sw_min=6&sw_max=2", "floats", True, ["sw_min", "swapped"], {"sw_min": "2.0", "sw_max": "6.0"})
add("criticality", "sb_min=3&sb_max=3", "floats", True, ["sb_min", "empty window"], {})
add("criticality", "pt_sw=1.5&pt_sb=0.05", "floats", False, applied={"pt_sw": "1.5", "pt_sb": "0.05"})
for name, value, applied in (("activation", " ReLU ", "relu"), ("view", "QMAP", "qmap")):
    add("criticality", f"{name}={q(value)}", "enums", False, applied={name: applied})
for name, value in (("activation", "softmax"), ("view", "sideways")):
    add("criticality", f"{name}={q(value)}", "enums", True, [name], {})
add("criticality", "view=qmap&depth=5", "structure", True, ["depth", "only applies"], {"view": "qmap"})
add("criticality", "leaky_relu_negative_slope=0.2", "structure", True, ["leaky_relu_negative_slope", "only applies"], {})
add("criticality", "activation=leaky_relu&leaky_relu_negative_slope=0.2", "structure", False,
    applied={"activation": "leaky_relu", "leaky_relu_negative_slope": "0.2"})
add("criticality", "batch=5", "structure", True, ["batch"], {})  # another page's parameter
add("criticality", "depth=100&width=1000&n_seeds=16&res=41", "budget", False,
    applied={"res": "41", "depth": "100", "width": "1000", "n_seeds": "16"})
add("criticality", "view=qmap&width=1000&n_seeds=16", "budget", False,
    applied={"view": "qmap", "width": "1000", "n_seeds": "16"})
# the Jacobian view (view=jacobian): jac_depth 1…300, jac_width 2…1024; over the hosted budget its sample is cut
# (networks, then checkpoints), and a view that still does not fit offers a depth or a width instead
for value in ("1e3", "0x10", "", "١٢٣", "5.0"):
    for name in ("jac_depth", "jac_width"):
        add("criticality", f"view=jacobian&{name}={q(value)}", "numbers", True, [name], {"view": "jacobian"})
add("criticality", "view=jacobian&jac_depth=-1&jac_width=1", "numbers", True, ["jac_depth", "jac_width"],
    {"view": "jacobian", "jac_depth": "1", "jac_width": "2"})
add("criticality", "view=jacobian&jac_depth=999999999&jac_width=999999999", "budget", True,
    ["jac_depth", "jac_width", UNFIT], {"view": "jacobian", "jac_depth": "300", "jac_width": "1024"})
add("criticality", "view=jacobian&jac_depth=100&jac_width=96&n_seeds=16", "budget", True,
    ["Networks (seeds): 16", CUT], {"view": "jacobian", "jac_depth": "100", "jac_width": "96", "n_seeds": "16"})
add("criticality", "view=jacobian&jac_depth=100&jac_width=128&n_seeds=2", "budget", False,
    applied={"view": "jacobian", "jac_depth": "100", "jac_width": "128", "n_seeds": "2"})
add("criticality", "jac_depth=50&jac_width=64", "structure", True, ["jac_depth", "jac_width", "only applies"], {})
add("criticality", "view=jacobian&depth=5&width=64", "structure", True, ["depth", "width", "only applies"],
    {"view": "jacobian"})
add("criticality", "view=JACOBIAN", "enums", False, applied={"view": "jacobian"})
for query in ("view=jacobian&activation=relu&pt_sw=6&pt_sb=0", "view=jacobian&activation=linear&pt_sw=6&pt_sb=6",
              "view=jacobian&pt_sw=0&pt_sb=0", "view=jacobian&activation=hardtanh&pt_sw=0.05&pt_sb=6&jac_depth=300",
              "view=jacobian&activation=sigmoid&pt_sw=6&pt_sb=0&jac_width=2&n_seeds=16"):
    add("criticality", query, "numerics", False)
for query in ("activation=relu&pt_sw=6&pt_sb=0&depth=100&width=64", "activation=linear&pt_sw=6&depth=100&width=32",
              "pt_sw=0&pt_sb=0", "activation=elu&elu_alpha=100&pt_sw=6&pt_sb=6",
              "activation=sigmoid&sw_min=0&sw_max=6&sb_min=0&sb_max=6&res=9",
              "view=qmap&activation=relu&pt_sw=6&pt_sb=6&width=2"):
    add("criticality", query, "numerics", False)

# --- residual blocks and norms on Propagation (issue 14): each new parameter's grammar, its condition and
# the presets' cross-field rules (the field the preset needs gives way, with a notice; the preset stays)
add("propagation", "arch=Pre", "enums", False, applied={"arch": "pre"})
add("propagation", "arch=resnet", "enums", True, ["arch"], {})
add("propagation", "norm=%20LayerNorm%20", "enums", False, applied={"norm": "layernorm"})
add("propagation", "norm=batchnorm", "enums", True, ["norm"], {})
add("propagation", "norm=rmsnorm&norm=layernorm", "structure", True, ["norm", "given 2 times"], {"norm": "layernorm"})
add("propagation", "arch=pre&branch_depth=1", "numbers", False, applied={"arch": "pre", "branch_depth": "1"})
add("propagation", "arch=pre&branch_depth=3", "numbers", True, ["branch_depth"], {"arch": "pre"})  # ladder 1, 2
add("propagation", "arch=pre&branch_depth=0", "numbers", True, ["branch_depth"], {"arch": "pre", "branch_depth": "1"})
add("propagation", "arch=pre&branch_depth=1e0", "numbers", True, ["branch_depth"], {"arch": "pre"})
add("propagation", "branch_depth=1", "structure", True, ["branch_depth", "only applies"], {})  # an MLP has no branch
add("propagation", "preset=gpt2", "structure", True, ["preset", "only applies"], {})
add("propagation", "arch=pre&final_norm=true", "structure", True, ["final_norm", "only applies"], {"arch": "pre"})
add("propagation", "arch=post&in_width=32", "structure", True, ["in_width", "only applies"], {"arch": "post"})
add("propagation", "arch=pre&preset=GPT2", "enums", False, applied={"arch": "pre", "preset": "gpt2"})
add("propagation", "arch=pre&preset=t-fixup", "enums", True, ["preset"], {"arch": "pre"})
add("propagation", f"arch=pre&preset={q('<b>gpt2</b>')}", "injection", True, ["preset"], {"arch": "pre"},
    markers=("<b>",))
add("propagation", "arch=pre&norm=layernorm&final_norm=maybe", "enums", True, ["final_norm"],
    {"arch": "pre", "norm": "layernorm"})
add("propagation", "arch=pre&norm=layernorm&final_norm=ON", "enums", False,
    applied={"arch": "pre", "norm": "layernorm", "final_norm": "true"})
add("propagation", "arch=pre&preset=deepnorm", "numerics", True, ["arch", "deepnorm"],
    {"arch": "post", "preset": "deepnorm"})
add("propagation", "arch=pre&norm=rmsnorm&final_norm=true&preset=fixup&branch_depth=1", "numerics", True,
    ["norm", "final_norm", "branch_depth"], {"arch": "pre", "preset": "fixup"})
add("propagation", "arch=post&norm=layernorm&preset=t_fixup", "numerics", True, ["norm", "t_fixup"],
    {"arch": "post", "preset": "t_fixup"})
# depth: up to 1000 residual blocks, 200 MLP layers; 1000 blocks of width 256 exceed a hosted run's weight draws
add("propagation", "depth=500", "numbers", True, ["depth", "an MLP"], {"depth": "200"})
add("propagation", "arch=pre&depth=999999999", "budget", True, ["depth", UNFIT], {"arch": "pre", "depth": "1000"})

# --- the Width page: every parameter ----------------------------------------------------------------
# (within the bounds one seed of any MLP view fits: over the budget the page draws fewer seeds, as asked
# otherwise; a residual family with two-layer branches may not fit with one seed: nothing is computed, choices)

for value in ("1e3", "0x10", "5.0", "", "١٢٣"):
    add("width", f"steps={q(value)}", "numbers", True, ["steps"], {})
add("width", "steps=0&max_width=256", "numbers", True, ["steps"], {"steps": "1", "max_width": "256"})
add("width", "steps=99&max_width=256", "numbers", True, ["steps"], {"steps": "5", "max_width": "256"})
add("width", "n_seeds=0&max_width=256", "numbers", True, ["n_seeds"], {"n_seeds": "1", "max_width": "256"})
add("width", "n_seeds=99&max_width=256", "numbers", True, ["n_seeds"], {"n_seeds": "5", "max_width": "256"})
add("width", "max_width=300", "numbers", True, ["max_width", "nearest"], {"max_width": "256"})
add("width", "max_width=64", "numbers", True, ["max_width", "nearest"], {"max_width": "256"})
add("width", "max_width=0x800", "numbers", True, ["max_width"], {})
add("width", "seed=-1&max_width=256", "numbers", True, ["seed"], {"max_width": "256"})
for value in ("nan", "inf", "1e-999x", ""):
    add("width", f"lr={q(value)}", "floats", True, ["lr"], {})
add("width", "lr=-0.1&max_width=256", "floats", True, ["lr", "nearest"], {"lr": "0.0001", "max_width": "256"})
add("width", "lr=0.3&max_width=256", "floats", True, ["lr", "nearest"], {"lr": "0.2", "max_width": "256"})
add("width", "optimizer=adam&adam_lr=1e9&max_width=256", "floats", True, ["adam_lr", "nearest"],
    {"optimizer": "adam", "adam_lr": "2.0", "max_width": "256"})
add("width", "adam_lr=0.01&max_width=256", "structure", True, ["adam_lr", "only applies"], {"max_width": "256"})
add("width", "optimizer=adam&lr=0.5&max_width=256", "structure", True, ["lr", "only applies"],
    {"optimizer": "adam", "max_width": "256"})
for name, value, applied in (("parametrisation", "NTK", "ntk"), ("optimizer", " Adam ", "adam"),
                             ("activation", "RELU", "relu"), ("statistic", "Delta_RMS", "delta_rms"),
                             ("readout_zero", "OFF", "false"), ("mistake", "SP_LR", "sp_lr")):
    add("width", f"{name}={q(value)}&max_width=256", "enums", False, applied={name: applied, "max_width": "256"})
for name, value in (("parametrisation", "mup2"), ("optimizer", "adamw"), ("activation", "leaky_relu"),
                    ("statistic", "l1"), ("readout_zero", "maybe"), ("mistake", "readout")):
    add("width", f"{name}={q(value)}", "enums", True, [name], {})
add("width", "mistake=coupled_wd&max_width=256", "enums", True, ["mistake", "Adam"], {"max_width": "256"})
add("width", "parametrisation=sp&readout_zero=false&mistake=sp_lr", "structure", True,
    ["readout_zero", "mistake", "only applies"], {"parametrisation": "sp"})
add("width", "depth=5", "structure", True, ["depth"], {})  # another page's parameter
add("width", "max_width=2048&steps=5&n_seeds=5", "budget", True, ["Seeds", "using 1"],
    {"max_width": "2048", "steps": "5", "n_seeds": "5"})  # the link keeps what was asked; one seed is drawn
for query in ("lr=2&parametrisation=sp&activation=linear&steps=5&max_width=512",
              "optimizer=adam&adam_lr=2&activation=relu&max_width=256&statistic=delta_rms",
              "mistake=sp_lr&lr=2&steps=5&max_width=256", "readout_zero=false&lr=0.0001&statistic=rms&max_width=256",
              "optimizer=adam&mistake=coupled_wd&adam_lr=2&max_width=256&n_seeds=1"):
    add("width", query, "numerics", False)

# residual families (arch pre/post; absent = mlp): norm none/layernorm/rmsnorm (default layernorm), branch_depth
# 1/2 (default 1), preset of initviz.residual.PRESETS — each only with a residual arch; a preset's needs applied
# (Propagation's rules: DeepNorm → post-norm; Fixup → no norm and a two-layer branch)
RES = {"arch": "pre", "max_width": "256"}
RES_QUERY = "arch=pre&max_width=256"
add("width", "arch=%20PRE&max_width=256", "enums", False, applied=RES)
add("width", f"{RES_QUERY}&norm=RMSNorm&branch_depth=2&preset=GPT2", "enums", False,
    applied={**RES, "norm": "rmsnorm", "branch_depth": "2", "preset": "gpt2"})
add("width", "arch=resnet&max_width=256", "enums", True, ["arch"], {"max_width": "256"})
add("width", f"{RES_QUERY}&norm=batchnorm", "enums", True, ["norm"], RES)
add("width", f"{RES_QUERY}&preset=skipinit", "enums", True, ["preset"], RES)
add("width", f"{RES_QUERY}&branch_depth=3", "numbers", True, ["branch_depth"], {**RES, "branch_depth": "2"})
add("width", f"{RES_QUERY}&branch_depth=1e0", "numbers", True, ["branch_depth"], RES)
add("width", "norm=rmsnorm&preset=gpt2&branch_depth=2&max_width=256", "structure", True,
    ["norm", "preset", "branch_depth", "only applies"], {"max_width": "256"})
add("width", f"{RES_QUERY}&preset=deepnorm", "structure", True, ["arch", "post"],
    {**RES, "arch": "post", "preset": "deepnorm"})
add("width", f"{RES_QUERY}&preset=fixup&norm=rmsnorm", "structure", True, ["norm", "branch_depth"],
    {**RES, "preset": "fixup", "norm": "none", "branch_depth": "2"})
add("width", "arch=pre&branch_depth=2&max_width=512&n_seeds=5", "budget", True, ["Seeds", "using 3"],
    {"arch": "pre", "branch_depth": "2", "max_width": "512", "n_seeds": "5"})
add("width", "arch=post&branch_depth=2&max_width=2048&steps=5", "budget", False,
    applied={"arch": "post", "branch_depth": "2", "max_width": "2048", "steps": "5"})  # nothing computed: choices
for query in (f"{RES_QUERY}&norm=none&lr=2&steps=5&activation=relu",
              "arch=post&max_width=256&optimizer=adam&adam_lr=2&preset=rezero&statistic=delta_rms",
              f"{RES_QUERY}&preset=t_fixup&norm=none&branch_depth=2&parametrisation=sp&lr=2&activation=linear",
              "view=transfer&max_width=256&sweep_steps=5&arch=post&sweep_from=-2&sweep_to=0"):
    add("width", query, "numerics", False)

# the learning-rate transfer view (view=transfer): sweep_from/sweep_to −14…4 (SGD), adam_sweep_from/adam_sweep_to
# −16…0, sweep_steps 5…200, sweep_seeds 1…4; a reversed range is swapped, a one-rate range is the default range.
# Every link that computes keeps the sweep small (widths 2^7, 2^8; 5 steps): a default sweep takes a few seconds.
SMALL_SWEEP = {"view": "transfer", "max_width": "256", "sweep_steps": "5"}
SMALL_SWEEP_QUERY = "view=transfer&max_width=256&sweep_steps=5"
add("width", "view=transfer&max_width=256&sweep_steps=0&sweep_from=-2&sweep_to=0", "numbers", True, ["sweep_steps"],
    {**SMALL_SWEEP, "sweep_from": "-2", "sweep_to": "0"})
add("width", f"{SMALL_SWEEP_QUERY}&sweep_seeds=99&sweep_from=-2&sweep_to=0", "numbers", True, ["sweep_seeds"],
    {**SMALL_SWEEP, "sweep_seeds": "4", "sweep_from": "-2", "sweep_to": "0"})
add("width", f"{SMALL_SWEEP_QUERY}&sweep_from=-99&sweep_to=-12", "numbers", True, ["sweep_from"],
    {**SMALL_SWEEP, "sweep_from": "-14", "sweep_to": "-12"})
for value in ("1e3", "-0x2", "-2.0", "", "－２"):
    add("width", f"{SMALL_SWEEP_QUERY}&optimizer=adam&adam_sweep_to={q(value)}", "numbers", True, ["adam_sweep_to"],
        {**SMALL_SWEEP, "optimizer": "adam"})
add("width", f"{SMALL_SWEEP_QUERY}&sweep_from=1&sweep_to=-2", "numbers", True, ["sweep_from", "swapped"],
    {**SMALL_SWEEP, "sweep_from": "-2"})  # sweep_to 1 is the default: not written
add("width", f"{SMALL_SWEEP_QUERY}&sweep_from=-2&sweep_to=-2", "numbers", True, ["sweep_from", "two rates"],
    SMALL_SWEEP)
add("width", f"view=TRANSFER&max_width=256&sweep_steps=5&sweep_from=-1&sweep_to=0", "enums", False,
    applied={**SMALL_SWEEP, "sweep_from": "-1", "sweep_to": "0"})
add("width", "view=sweep", "enums", True, ["view"], {})
add("width", "sweep_steps=10&sweep_seeds=2", "structure", True, ["sweep_steps", "sweep_seeds", "only applies"], {})
add("width", f"{SMALL_SWEEP_QUERY}&steps=3&n_seeds=2&statistic=rms&mistake=sp_lr&adam_sweep_from=-3", "structure",
    True, ["steps", "n_seeds", "statistic", "mistake", "adam_sweep_from", "only applies"], SMALL_SWEEP)
add("width", "view=transfer&max_width=2048&sweep_steps=200&sweep_from=-14&sweep_to=4&sweep_seeds=4", "budget", False,
    applied={"view": "transfer", "max_width": "2048", "sweep_steps": "200", "sweep_from": "-14", "sweep_to": "4",
             "sweep_seeds": "4"})  # nothing is trained: choices that fit, the link kept as asked
for query in (f"{SMALL_SWEEP_QUERY}&sweep_from=2&sweep_to=4&activation=relu",  # every rate diverges at some width
              f"{SMALL_SWEEP_QUERY}&optimizer=adam&adam_sweep_from=-2&adam_sweep_to=0&parametrisation=ntk",
              f"{SMALL_SWEEP_QUERY}&parametrisation=sp&sweep_from=-14&sweep_to=-13&activation=linear",
              f"{SMALL_SWEEP_QUERY}&readout_zero=false&sweep_from=0&sweep_to=2&activation=gelu"):
    add("width", query, "numerics", False)

# --- every Geometry link also at the steps that compute what it sets ---------------------------------
# (the page computes only the step shown: without these, links setting e.g. mp_* would only be parsed)

STEP_OF_PREFIX = {"angle_": "vectors", "gram_": "gram", "sweep_": "sweep", "mp_": "spectrum", "rect_": "rectangular",
                  "rule=": "rectangular"}
for link in [link for link in CATALOGUE if link.page == "geometry" and "step=" not in link.query]:
    steps = {step for prefix, step in STEP_OF_PREFIX.items() if prefix in link.query} - {"vectors"}
    for step in sorted(steps):
        if any(other.query == f"{link.query}&step={step}" for other in CATALOGUE):
            continue  # written out above with what that step shows
        applied = None if link.applied is None else {**link.applied, "step": step}
        CATALOGUE.append(Link("geometry", f"{link.query}&step={step}", link.cls, link.invalid, link.names, applied,
                              link.markers))
