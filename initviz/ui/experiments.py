"""The Experiments page: the classic demonstrations of what initialization does, each a one-click
link that opens the Propagation, Training or Criticality page with the right settings, and the deep linear Jacobian's
singular values (Gaussian vs orthogonal) drawn here.

:data:`PRESETS` is plain data — (key, title, page, settings, text) — and every preset's settings
are a valid, budget-respecting view of its page (the tests check it, and that its link shows the
phenomenon the text describes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import pandas as pd
import streamlit as st

from ..figures import fig_curves
from ..figures import propagation as fp
from ..jacobian import jacobian_spectrum
from ..network import Network
from . import links, nav
from .frame import guard
from .widgets import chart, control, file_name

CACHE = dict(max_entries=16, max_size=16 * 2 ** 20)
JACOBIAN_SEEDS = 3
"""Networks per Jacobian spectrum (the chart shows their mean quantiles)."""
JACOBIAN_SCHEMES = (("xavier_normal", "Gaussian N(0, 1/n)"), ("orthogonal", "orthogonal"))
"""(scheme, legend name): Xavier normal on square layers is N(0, 1/n); orthogonal has gain 1."""


@dataclass(frozen=True)
class Preset:
    """A classic experiment: the page that shows it, the settings that differ from the page's
    defaults, and one paragraph on what to see."""

    key: str
    title: str
    page: str
    settings: Mapping[str, Any]
    text: str

    def full_settings(self) -> links.Settings:
        """Every parameter of the page: its defaults, overridden by this preset."""
        return {**links.SCHEMAS[self.page].defaults(), **self.settings}

    def query(self) -> dict[str, str]:
        """The link's query parameters (canonical: only values that differ from the defaults)."""
        return links.canonical(self.page, self.full_settings())


def _preset(key: str, title: str, page: str, text: str, **settings) -> Preset:
    return Preset(key, title, page, MappingProxyType(settings), text)


PRESETS: tuple[Preset, ...] = (
    _preset(
        "explosion", "100 linear layers, W ~ N(0, 1): overflow near layer 28", "propagation",
        "Every layer multiplies the variance of the signal by n·s² = 512, so ‖a‖ grows by √512 ≈ 22.6 per "
        "layer. float32 ends at 3.4·10³⁸ ≈ 22.6²⁸: the activations overflow at layer 28 (the dotted line), and "
        "nothing can be computed after it — not even a gradient. Xavier's variance 2/(n_in + n_out) = 1/n "
        "(orange) keeps every layer at the scale of the input for all 100 layers.",
        depth=100, width=512, activation="linear", scheme="normal", normal_std=1.0, compare=("xavier_normal",),
        batch=64, dtype="float32"),
    _preset(
        "vanishing", "100 linear layers, W ~ N(0, 0.01²): the signal vanishes", "propagation",
        "Now n·s² = 512·10⁻⁴ ≈ 0.05: the variance falls twenty-fold per layer, ‖a‖ by ≈ 4.4. Around layer "
        "60 every activation is below float32's smallest normal number (1.2·10⁻³⁸) — the signal is gone, "
        "and the network's output no longer depends on its input. Again 1/√n holds the scale.",
        depth=100, width=512, activation="linear", scheme="normal", normal_std=0.01, compare=("xavier_normal",),
        batch=64, dtype="float32"),
    _preset(
        "glorot_bengio", "Glorot & Bengio (2010): “standard” vs “normalised” init, 5 tanh layers", "propagation",
        "Five tanh layers of width 1000. The “standard” init U[±1/√n] — exactly PyTorch's default weight, "
        "torch_default — has variance 1/(3n): the activation histograms (this view) narrow layer by layer "
        "towards 0, and the back-propagated gradient variance (the Backward view) changes from layer to layer. "
        "The “normalised” init U[±√6/√(n_in + n_out)] (xavier_uniform, blue) keeps both nearly constant "
        "(their Figures 6 and 7: switch the histograms between activations and gradients ∂L/∂h).",
        depth=5, width=1000, activation="tanh", scheme="xavier_uniform", compare=("torch_default",), batch=256,
        view="histograms"),
    _preset(
        "he_vs_xavier", "He vs Xavier on a 30-layer ReLU network", "propagation",
        "ReLU zeroes half of every pre-activation, so it halves the second moment: with Xavier's 1/n the "
        "variance falls by 2 per layer, 2⁻³⁰ ≈ 10⁻⁹ after 30 layers (He et al. 2015, their Figure 3 net "
        "stalls). He's 2/n (kaiming_normal with nonlinearity relu, blue) keeps it constant — on average: the "
        "band over samples still widens with depth, a finite-width effect (Hanin & Rolnick 2018).",
        depth=30, width=512, activation="relu", scheme="kaiming_normal", kaiming_normal_nonlinearity="relu",
        compare=("xavier_normal",), batch=128),
    _preset(
        "torch_default", "The PyTorch default shrinks the signal", "propagation",
        "nn.Linear initialises W with kaiming_uniform(a = √5) = U(±1/√n): variance 1/(3n), a sixth of He's "
        "for ReLU. A plain deep stack with the default loses ×6 of variance per layer, until the default "
        "bias U(±1/√n) (included here) is all that is left: the output then hardly depends on the input. "
        "Kaiming uniform with its defaults (gain √2, orange) keeps the scale.",
        depth=20, width=512, activation="relu", scheme="torch_default", bias="scheme", compare=("kaiming_uniform",),
        batch=128),
    _preset(
        "symmetry", "Zero and constant init keep every unit identical", "propagation",
        "With every weight equal (here 0.01), every unit of a layer computes the same function of the input: "
        "the symmetry chart stays at exactly 0 at every layer. Below the output layer (whose gradient is the "
        "random probe) every unit also receives the same gradient — the gradient symmetry chart of the Backward "
        "view is 0 too — so "
        "gradient descent can never make them differ. Zeros is worse still: the signal vanishes at layer 1. "
        "A random init (xavier_normal) breaks the symmetry at once.",
        depth=10, width=256, activation="tanh", scheme="constant", constant_val=0.01,
        compare=("zeros", "xavier_normal")),
    _preset(
        "orthogonal", "Gaussian vs orthogonal in a deep linear network", "propagation",
        "A linear network of 50 layers, width 256. Orthogonal weights preserve every norm exactly: "
        "‖aˡ‖/‖x‖ = 1 for every input, a band of zero width. Gaussian weights of variance 1/n keep it 1 on "
        "average only, and the band over samples widens with depth — the singular values of the product "
        "W_L⋯W_1 spread out (Saxe et al. 2013; Pennington et al. 2017; chart below).",
        depth=50, width=256, activation="linear", scheme="orthogonal", compare=("xavier_normal",), batch=128),
    # --- residual and normalised networks (issue 14): one preset per view, partners side by side in the text
    _preset(
        "resid_pre_ln", "Pre-LN, 48 blocks: the stream grows, the last block's gradient shrinks", "propagation",
        "48 pre-norm blocks x_l = x_{l−1} + F(LN(x_{l−1})) (GELU branches of two Xavier layers, width 256, a final "
        "LayerNorm as in GPT-2): every block adds its branch's variance to the stream, so ‖x_l‖²/‖x_0‖² grows "
        "linearly — ≈ 22 after 48 blocks (mean field 21.4). The final norm divides the gradient by that size: in "
        "the Backward view the last block's Var ∂L/∂W₂ is ≈ 4–5, half its value at 24 blocks (Xiong et al. 2020: "
        "pre-LN's last-layer gradients shrink like 1/√L). Compare with post-LN (next).",
        depth=48, arch="pre", norm="layernorm", final_norm=True, activation="gelu"),
    _preset(
        "resid_post_ln", "Post-LN, 48 blocks: the stream stays at 1, the last block's gradient does not shrink",
        "propagation",
        "The same blocks with the LayerNorm after the sum, x_l = LN(x_{l−1} + F(x_{l−1})) (the original "
        "Transformer, BERT): ‖x_l‖²/‖x_0‖² stays at 1 at every block. In the Backward view the last block's "
        "Var ∂L/∂W₂ is ≈ 75 whatever the depth (mean field 76 at 24, 48 and 96 blocks) and the gradient grows "
        "towards the input (2.4× at block 1) — Xiong et al. 2020's reason post-LN needs a learning-rate warm-up.",
        depth=48, arch="post", norm="layernorm", activation="gelu"),
    _preset(
        "resid_gpt2", "GPT-2's 1/√(2L) on 96 pre-LN blocks", "propagation",
        "GPT-2 (and nanoGPT) scales each branch's output projection by 1/√(2L): the branch's variance "
        "shrinks by 2L = 192, so 96 blocks add ≈ 0.2 to ‖x‖²/‖x_0‖² (mean field 1.21) instead of ≈ 43 without it "
        "(next), and the gradient reaching the last block is no longer divided by the stream's size (Backward "
        "view: Var ∂L/∂W₂ of the last block ≈ 90 against ≈ 2.6).",
        depth=96, arch="pre", norm="layernorm", final_norm=True, preset="gpt2", activation="gelu"),
    _preset(
        "resid_none_96", "… and the same 96 blocks without it", "propagation",
        "α = 1 and the branch as Xavier draws it: ‖x_96‖²/‖x_0‖² ≈ 44 (mean field 41.8), growing by ≈ 0.43 a "
        "block. The LayerNorm inside each block hides this from the branches, but not from the final norm.",
        depth=96, arch="pre", norm="layernorm", final_norm=True, activation="gelu"),
    _preset(
        "resid_rezero", "ReZero (α = 0): every block is the identity at init", "propagation",
        "ReZero (Bachlechner et al. 2020) and SkipInit (De & Smith 2020) multiply each branch by a scalar α = 0 "
        "(ReZero's is learnable), with no normalisation: x_l = x_{l−1} + 0·F(x_{l−1}) = x_{l−1}. ‖x_l‖² = ‖x_0‖² "
        "and the branch variance is exactly 0 at every block; the gradient passes unchanged (every block's "
        "Jacobian is I), and the branch weights receive none (∂L/∂W = α·… = 0): training moves α first.",
        depth=48, arch="pre", preset="rezero", activation="gelu"),
    _preset(
        "resid_deepnorm", "DeepNorm: 1,000 post-LN blocks, finite forward and backward", "propagation",
        "DeepNet (Wang et al. 2022) keeps post-LN but up-weights the skip and down-weights the branch: "
        "x_l = LN(α·x_{l−1} + F(x_{l−1})), α = (2L)^¼ = 6.69 and the branch weights × (8L)^−¼ = 0.106 at "
        "L = 1000. The stream stays at 1 and the gradient at ≈ 1 from the last block to the first (Backward "
        "view; the mean field: 1 to five digits) — with the plain constants the mean field's gradient grows 1.7·10⁹-fold over "
        "the same 1,000 blocks. Width 64 and batch 64 keep this view within a hosted instance's budget.",
        depth=1000, width=64, batch=64, arch="post", norm="layernorm", preset="deepnorm", activation="gelu"),
    _preset(
        "resid_fixup", "Fixup: 100 blocks without normalisation, the identity at init", "propagation",
        "Fixup (Zhang et al. 2019) trains deep residual networks without any norm: He-initialised branches, the "
        "first branch layer × L^(−1/2) = 0.1 and the last one 0. Every block starts as the identity: ‖x_l‖² = "
        "‖x_0‖² at all 100 blocks, while the last branch layers receive a gradient (Backward view: Var ∂L/∂W₂ ≈ "
        "2.5 at every block). Compare the plain residual network (next).",
        depth=100, arch="pre", preset="fixup", activation="relu", scheme="kaiming_normal",
        kaiming_normal_nonlinearity="relu"),
    _preset(
        "resid_plain_100", "… and a plain residual network of 100 blocks without normalisation", "propagation",
        "The same He-initialised ReLU branches with α = 1 and no norm: each block adds twice the stream's "
        "variance, so ‖x‖² triples per block — 3¹⁰⁰ ≈ 5·10⁴⁷ in the mean field after 100 blocks (the measurement, "
        "a product of 100 random factors, ≈ 10⁴⁷) — and the gradient grows as much towards the input.",
        depth=100, arch="pre", activation="relu", scheme="kaiming_normal", kaiming_normal_nonlinearity="relu"),
    _preset(
        "train_zeros_large_he", "Training: zeros vs large random vs He on a 3-layer ReLU net", "training",
        "The course-notes experiment on the 8×8 digits, plain SGD (lr 0.01): with zero weights every hidden "
        "unit outputs 0, no gradient reaches the hidden weights, and the loss stays at chance, −log(1/10) = 2.30, "
        "for the whole run. Weights ten times He's scale (N(0, (10·√(2/128))²)) start at a loss near "
        "16,000 — the logits are huge — and crawl back down; He's √(2/n) (kaiming_normal) starts at 3.3 and "
        "trains fastest.",
        scheme="normal", normal_std=1.25, compare=("zeros", "kaiming_normal"), lr=0.01, momentum=0.0),
    _preset(
        "train_constant", "Training: constant init keeps every unit identical", "training",
        "Every weight 0.1 on a tanh net: every unit of a hidden layer computes the same function, receives the "
        "same gradient, and so takes the same update — the Per-layer view counts 1 distinct unit in every "
        "hidden layer at every step (the 10 output units differ: their targets do). The network is a "
        "one-unit-wide network in disguise and barely learns; a random init (xavier_normal) breaks the "
        "symmetry at step 0.",
        activation="tanh", scheme="constant", compare=("xavier_normal",), view="layers"),
    _preset(
        "train_deep_tanh", "Training: 20 tanh layers, PyTorch default vs Xavier vs orthogonal", "training",
        "Twenty tanh layers of width 64. PyTorch's default U(±1/√n) has a third of the variance tanh needs: "
        "the signal and its gradient shrink layer by layer and the loss does not leave chance. Xavier keeps "
        "the variance but not every direction, and trains slowly; orthogonal weights keep every singular "
        "value at 1 and train the deep net fastest (Saxe et al. 2013).",
        depth=20, width=64, n_seeds=2, steps=200, activation="tanh", scheme="torch_default",
        compare=("xavier_normal", "orthogonal")),
    _preset(
        "train_overconfident", "Training: the over-confident softmax", "training",
        "makemore part 3's first fix. N(0, 1) weights on a tanh net saturate every hidden unit, and the output "
        "layer sums 128 terms of size 1: logits of standard deviation ≈ 11, so the first loss is ≈ 18 where "
        "chance is −log(1/10) = 2.30 — the network is confidently wrong and the first steps only undo it. "
        "Xavier's 1/n scale starts near chance.",
        activation="tanh", scheme="normal", compare=("xavier_normal",)),
    _preset(
        "train_resid_plain", "Training: 20 residual blocks without a norm train only with small branches",
        "training",
        "Twenty pre-activation residual blocks (x ← x + W₂ ReLU(W₁x)) of width 32, no normalisation, no branch "
        "preset. Each block multiplies the stream's variance by 1 + (the branch's gain): He's branches (gain 2) "
        "by 3, so 3²⁰ ≈ 3.5·10⁹ after 20 blocks, Xavier's (gain ½) by 1.5, 1.5²⁰ ≈ 3,300; the logits are as "
        "large, the first loss is thousands of times chance and SGD diverges (the curves stop at the first "
        "non-finite loss). PyTorch's default U(±1/√n) draws branches of gain 1/18 — 1.06²⁰ ≈ 3 — and trains to "
        "~95 % test accuracy: why Fixup, SkipInit and normalisation exist (the branch presets).",
        arch="pre", depth=20, width=32, scheme="kaiming_normal", compare=("xavier_normal", "torch_default"),
        n_seeds=2, steps=150),
    _preset(
        "poole_qmap", "Poole et al. (2016), Figure 1: the variance map of a tanh layer", "criticality",
        "One tanh layer of width 1000 at σ_b = 0.3, fed inputs of variance q from 0 to 15, for σ_w = 1.3, 2.5 "
        "and 4 (ganguli-lab/deepchaos): the dots are the measured output variance, the lines the mean-field map "
        "q ↦ σ_w² E[tanh(√q z)²] + σ_b². Each line crosses the diagonal once, at its stable fixed point q* "
        "(0.61, 4.1 and 12.6): whatever the input's scale, a deep network's pre-activations settle there within "
        "a few layers. σ_w = 1.3 is ordered (χ₁ = 0.94), the other two chaotic — the Phase diagram view shows "
        "where (the critical σ_w at σ_b = 0.3 is 1.396).",
        view="qmap", pt_sw=2.5, pt_sb=0.3, width=1000),
    _preset(
        "relu_critical", "ReLU's one critical point is He's init", "criticality",
        "For ReLU, χ₁ = σ_w²/2 whatever the variance: below σ_w² = 2 the network is ordered, above it the "
        "variance grows without limit with depth — no finite fixed point, the grey region — so ReLU has no "
        "chaotic phase and no critical line, only the point σ_w² = 2, σ_b = 0: He et al.'s 2/fan_in. There "
        "c^l still creeps towards 1 (ξ_c = ∞: slowly, not exponentially), as the measured correlations show; "
        "any bias at σ_w² = 2 makes q grow by σ_b² a layer.",
        activation="relu", pt_sw=math.sqrt(2), pt_sb=0.0),
    # --- Jacobian spectra of nonlinear networks (Criticality page, view=jacobian) ---
    _preset(
        "jacobian_tanh_critical", "Tanh at criticality, depth 100: Gaussian vs orthogonal Jacobians", "criticality",
        "100 tanh layers of width 128 on the critical line (σ_b = 0.05, σ_w = 1.1225: χ₁ = 1, q* = 0.154), the input "
        "at q*. Both laws keep the mean of σ² at χ₁^L = 1, but the Gaussian network's squared singular values "
        "spread with a variance ≈ L·(μ₂/μ₁² − 1 + 1) ≈ 107 — a few directions amplified by decades, most crushed "
        "— while orthogonal weights leave only L·(μ₂/μ₁² − 1) ≈ 7: much closer to dynamical isometry "
        "(Pennington, Schoenholz & Ganguli 2017, their Figure 1). Lines: the free-probability moments.",
        view="jacobian", activation="tanh", pt_sw=1.1225390047695467, pt_sb=0.05, jac_depth=100, jac_width=128,
        n_seeds=2),
    _preset(
        "jacobian_qstar_small", "q* → 0: orthogonal tanh networks approach isometry", "criticality",
        "The same critical tanh network with σ_b = 0.01 (σ_w = 1.0421): q* falls to 0.046, where tanh is nearly "
        "linear, μ₂/μ₁² → 1 and the orthogonal network's spread L·(μ₂/μ₁² − 1) to ≈ 1.1 at depth 100 — 40 "
        "times less than at σ_b = 0.3 (q* = 0.76) — while Gaussian weights still spread as L. This is Pennington "
        "et al.'s q* slider: sigmoidal networks reach dynamical isometry with orthogonal weights as q* → 0.",
        view="jacobian", activation="tanh", pt_sw=1.0421258525242325, pt_sb=0.01, jac_depth=100, jac_width=128,
        n_seeds=2),
    _preset(
        "jacobian_relu", "ReLU cannot reach dynamical isometry", "criticality",
        "ReLU at its critical point (σ_w² = 2, σ_b = 0: He's init): φ′ is 0 or 1, so μ₂/μ₁² − 1 = 1 whatever q*, and "
        "even orthogonal weights spread σ² with variance ≈ L; the Gaussian ones twice that. About half of every D_l "
        "is zero, so J's rank is the fewest active units of any layer: the rest of its singular values are exact "
        "zeros, counted in the histogram's legend apart from the bars.",
        view="jacobian", activation="relu", pt_sw=math.sqrt(2), pt_sb=0.0, jac_depth=100, jac_width=128, n_seeds=2),
    # --- width scaling: mup's coordinate check and its deliberate mistakes (Width page) ---
    _preset(
        "coord_check_change", "The coordinate check: μP is flat in width, SP is not", "width",
        "MLPs of widths 128 … 1024 train three SGD steps (η = 0.1) on one batch; each line is how much a layer's "
        "output has changed since initialisation. Under μP every line is flat (spread ≈ 1.0×): each layer moves by "
        "the same amount whatever the width. Under SP the output's change grows with width (exponent ≈ ½ here, "
        "1 after one step in theory) while the input layer's shrinks: wide SP models update their readout too "
        "much and their first layer too little.", statistic="delta_rms"),
    _preset(
        "coord_check_adam", "With Adam, SP's output blows up as width grows", "width",
        "Adam normalises every update entry to about η, so an SP output layer's change sums n such entries and "
        "grows like width (exponent → 1): at width 1024 its outputs are several times larger than at 128 after "
        "three steps. μP (mup's MuAdam) divides the hidden and output rates by the width multiplier and stays flat.",
        optimizer="adam"),
    _preset(
        "coord_check_readout", "Mistake: the readout not zero-initialised", "width",
        "μP's output layer drawn at its variance 1/fan_in² instead of zero: at t = 0 the output line falls as "
        "1/√width (slope −½) — the check is not flat, yet nothing is wrong with training: the readout's init "
        "shrinks away and μP's updates take over (mup issue #42). Zero it and the t = 0 line vanishes.",
        readout_zero=False),
    _preset(
        "coord_check_sp_rates", "Mistake: μP's init with SP learning rates", "width",
        "μP's initialisation and output multiplier α = 1/m, but one learning rate for every layer (a plain torch "
        "optimizer instead of MuSGD): the output's effective update is divided by m, so the output line falls "
        "like 1/width (slope −1) after the first step — the readout of a wide model barely learns.",
        mistake="sp_lr"),
    _preset(
        "coord_check_coupled_wd", "Mistake: Adam with coupled weight decay passes the check", "width",
        "torch's Adam(weight_decay=0.1) adds λW to the gradient before Adam normalises it, so the decay's strength "
        "is tied to the width-dependent gradient scale — wrong under μP (mup PR #73). Yet over three steps the "
        "coordinate check looks as flat as the correct one: a passing check does not prove a correct setup. "
        "AdamW's decoupled decay is the fix.",
        optimizer="adam", mistake="coupled_wd"),
)
"""The classic experiments, in reading order."""


@st.cache_data(**CACHE, show_spinner="Computing Jacobian spectra…")
def jacobian_table(width: int, depth: int, seed: int) -> pd.DataFrame:
    """Log10 singular values of J = W_L⋯W_1 for Gaussian N(0, 1/n) and orthogonal weights."""
    spectra = {name: jacobian_spectrum(Network.mlp(width, (width,) * depth, "linear", scheme), seed=seed,
                                       n_seeds=JACOBIAN_SEEDS)
               for scheme, name in JACOBIAN_SCHEMES}
    return fp.jacobian_table(spectra)


def render(settings: links.Settings) -> None:
    st.markdown("The classic demonstrations of what initialization does, each one click away: the link opens "
                "the Propagation, Training or Criticality page with the experiment's settings (same seed, so the same "
                "numbers — and a link you can share). Change any control there to explore around it.")
    for preset in PRESETS:
        with st.container(border=True, key=f"preset_{preset.key}"):
            st.subheader(preset.title)
            st.markdown(preset.text)
            st.page_link(nav.entry(preset.page).script, label=f"Open on the {nav.entry(preset.page).title} page",
                         query_params=preset.query(), icon=":material/open_in_new:")
    with guard("experiments: jacobian"):
        _jacobian(settings)


def _jacobian(settings: links.Settings) -> None:
    st.header("Deep linear networks: the singular values of W_L⋯W_1")
    st.markdown("A linear network computes x ↦ Jx with J = W_L⋯W_1. With Gaussian weights of variance 1/n the "
                "mean of σ² stays 1, but the squared singular values spread — their variance grows like L — so "
                "some directions are amplified and most are crushed. Orthogonal weights keep every singular "
                "value at exactly 1 (dynamical isometry; Saxe et al. 2013, Pennington et al. 2017). Computed in "
                "the log domain, so no σ is lost to floating point however small.")
    c1, c2, c3 = st.columns(3)
    with c1:
        control("jac_width")
    with c2:
        control("jac_depth")
    with c3:
        control("seed")
    width, depth, seed = settings["jac_width"], settings["jac_depth"], settings["seed"]
    table = jacobian_table(width, depth, seed)
    name = file_name("experiments-jacobian", f"n{width}", f"L{depth}", f"seed{seed}")
    left, right = st.columns(2)
    with left:
        theory = table[["group", "depth", "theory_log10_sigma"]].rename(columns={"theory_log10_sigma": "median"})
        theory = theory[theory["median"].notna()]  # a closed form for orthogonal weights only
        fig = fig_curves(table, theory, x="depth", y="median", lo="q05", hi="q95", lines=True,
                         x_title="depth l (layers multiplied)", y_title="log₁₀ σ (singular value of J)",
                         measured="median, bars 5–95 %", predicted="exact (orthogonal: σ = 1)",
                         title=f"Singular values of J, width {width}")
        chart(fig, table, key="jacobian_sigma", name=f"{name}-sigma",
              caption=f"Mean over {JACOBIAN_SEEDS} networks of the median and the 5th/95th percentiles of log₁₀ σ.")
    with right:
        theory = table[["group", "depth", "theory_var_sq"]].rename(columns={"theory_var_sq": "var_sq"})
        theory = theory[theory["var_sq"].notna()]
        fig = fig_curves(table, theory, x="depth", y="var_sq", lines=True, x_title="depth l (layers multiplied)",
                         y_title="variance of σ² over the spectrum", predicted="exact (Gaussian; orthogonal 0)",
                         title="The spread of σ² grows with depth")
        chart(fig, table, key="jacobian_spread", name=f"{name}-spread",
              caption=f"Spectral variance of σ² (mean over {JACOBIAN_SEEDS} networks — a heavy-tailed statistic, so the "
                      "points scatter around the line); line: its exact expectation for Gaussian weights "
                      "(Wishart products; → L as n → ∞).")
