"""The Initializers page's PyTorch code of each residual branch preset (issue 14): it compiles, its
constants (written as formulas of L) equal initviz's presets for several depths, its block has the
placement and norm the preset needs, and the page shows one per preset."""

import math

import pytest

from initviz.residual import PRESETS, Residual
from initviz.ui import snippets
from test_app_support import open_page


def _constants(code: str, blocks: int) -> dict:
    """The snippet's plain-Python preamble (everything before ``import torch``) run with L = ``blocks``."""
    preamble = code.split("import torch")[0].replace(f"L, n, m = {snippets.RESIDUAL_EXAMPLE[0]},", f"L, n, m = {blocks},")
    scope: dict = {}
    exec(compile(preamble, "<preamble>", "exec"), scope)
    return scope


@pytest.mark.parametrize("preset", PRESETS)
def test_every_residual_snippet_compiles_and_states_its_source(preset):
    code = snippets.torch_residual_code(preset)
    compile(code, "<snippet>", "exec")
    assert PRESETS[preset].source in code and "nn.Sequential(*(Block(n) for _ in range(L)))" in code


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("blocks", [1, 12, 48, 1000])
def test_the_snippets_constants_are_the_presets_at_every_depth(preset, blocks):
    scope = _constants(snippets.torch_residual_code(preset), blocks)
    want = Residual(placement=PRESETS[preset].needs_placement or "pre", branch_depth=2, preset=preset).scales(blocks)
    assert scope["m"] == 2
    assert math.isclose(scope["alpha"], want.alpha, rel_tol=1e-12) and math.isclose(scope["skip"], want.skip, rel_tol=1e-12)
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0) for a, b in zip(scope["scale"], want.weights, strict=True))


@pytest.mark.parametrize("preset", PRESETS)
def test_the_snippets_block_has_the_placement_and_norm_its_preset_needs(preset):
    code = snippets.torch_residual_code(preset)
    need = PRESETS[preset]
    if need.no_norm:
        assert "nn.LayerNorm" not in code
    if need.needs_placement == "post":
        assert "return self.norm(skip * x" in code
    else:
        assert "u = self.norm(x)" in code


def test_the_initializers_page_shows_each_presets_block():
    at = open_page("initializers", {})
    blocks = [c.value for c in at.code if "class Block" in c.value]
    assert blocks == [snippets.torch_residual_code(p).rstrip("\n") for p in PRESETS]  # st.code drops the last newline
