"""Write tests/fixtures/torch_delta_orthogonal_reference.json: what the Initializers page's PyTorch
snippet for ``delta_orthogonal`` really does (torch has no built-in; the snippet is initviz's).

Run with the python that has torch (torch is never a dependency of initviz or its tests), from the
repository root:

    /tmp/torchenv/bin/python scripts/make_torch_delta_fixture.py

For each case the snippet of :func:`initviz.ui.snippets.torch_code` is executed as written (torch
seeded), ``DRAWS`` times, and the script records the weight shape, the spatial positions of its
non-zero entries, the fraction of exact zeros, the largest |tapᵀ·tap − g²·I| of the centre tap and
the sorted non-zero entries of all draws (the sample that tests/test_initializers.py compares with
initviz's law of the tap).
"""

from __future__ import annotations

import json
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from initviz.ui import snippets  # noqa: E402  (initviz's own snippet text, run under torch)

OUT = ROOT / "tests" / "fixtures" / "torch_delta_orthogonal_reference.json"
SEED = 20261203
DRAWS = 40
CASES = [("conv1d", 3, 5, 3, 1.0), ("conv2d", 4, 6, 4, 1.5), ("conv2d", 8, 8, 3, -0.5), ("conv3d", 2, 7, 2, 2.0)]
"""(layer, n_in, n_out, kernel, scale): odd and even kernels, square and tall taps, a negative gain."""


def case(layer: str, n_in: int, n_out: int, kernel: int, scale: float) -> dict:
    code = snippets.torch_code("delta_orthogonal", {"scale": scale}, layer, n_in, n_out, kernel)
    positions, zeros, gram, values = set(), 0, 0.0, []
    for _ in range(DRAWS):
        scope: dict = {}
        exec(code, scope)  # noqa: S102  (initviz's snippet, run as a user would)
        w = scope["layer"].weight.detach().double()
        nonzero = w.ne(0)
        positions |= {tuple(int(i) for i in p) for p in nonzero.any(dim=(0, 1)).nonzero().tolist()}
        zeros += int((~nonzero).sum())
        centre = tuple((k - 1) // 2 for k in w.shape[2:])
        tap = w[(slice(None), slice(None), *centre)]
        gram = max(gram, float((tap.T @ tap - scale ** 2 * torch.eye(n_in, dtype=torch.float64)).abs().max()))
        values += w[nonzero].tolist()
    return {"layer": layer, "n_in": n_in, "n_out": n_out, "kernel": kernel, "scale": scale,
            "shape": list(w.shape), "positions": sorted(positions), "zero_fraction": zeros / (DRAWS * w.numel()),
            "tap_gram_max_error": gram, "values": sorted(values)}


def main() -> None:
    torch.manual_seed(SEED)
    data = {"torch": torch.__version__, "seed": SEED, "draws": DRAWS, "cases": [case(*c) for c in CASES]}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT} ({len(data['cases'])} cases, torch {torch.__version__})")


if __name__ == "__main__":
    main()
