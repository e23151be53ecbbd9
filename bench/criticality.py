"""The Criticality page's speed (issue 15): a 41 × 41 phase diagram with its critical line for every
activation in < 1 s (:data:`DIAGRAM_S`), and the page's default view (its link defaults: the 17 × 17
diagram and line, the chosen point's row, measured maps and iterated maps) in < 0.3 s of compute
(:data:`PAGE_S`) — both with one BLAS thread, as the app's workers run them. Figures are not included:
this is the computation the page waits for.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

from .timing import time_calls

DIAGRAM_RES = 41
"""The deepchaos grid: σ_w 1…5 and σ_b 0…4 in steps of 0.1."""
DIAGRAM_S = 1.0
PAGE_S = 0.300


def _diagram(activation: str):
    from initviz.ui.links import criticality as plan
    return lambda: plan.diagram_tables(activation, None, (1.0, 5.0), (0.0, 4.0), DIAGRAM_RES)


def _page():
    from initviz.ui import links
    from initviz.ui.links import criticality as plan
    from initviz.ui.links.propagation import activation_param

    s = links.SCHEMAS["criticality"].defaults()
    param = activation_param(s)

    def once():
        plan.point_tables(s["activation"], param, s["pt_sw"], s["pt_sb"], s["depth"], s["width"], s["q0"], s["c0"],
                          s["n_seeds"], s["seed"])
        plan.diagram_tables(s["activation"], param, *plan.window(s), s["res"])
    return once, f"{s['activation']}, {s['res']} × {s['res']} diagram, measured maps depth {s['depth']} width {s['width']}"


def run(repeats: int, budget: float) -> dict:
    """Median seconds of each activation's 41 × 41 diagram and of the page's default view."""
    from initviz.activations import ACTIVATIONS

    out = {"diagrams": {}}
    with threadpool_limits(limits=1, user_api="blas"):
        for name in ACTIVATIONS:
            out["diagrams"][name] = time_calls(_diagram(name), repeats, warmup=1, budget=budget)
        page, what = _page()
        out["page"] = {**time_calls(page, repeats, warmup=1, budget=budget), "what": what}
    return out


def verdicts(results: dict, add) -> None:
    """``add(name, value, bound, at_least, unit, note)`` for each target."""
    slowest = max(results["diagrams"].items(), key=lambda kv: kv[1]["median"])
    add(f"41 × 41 phase diagram, slowest activation ({slowest[0]})", slowest[1]["median"], DIAGRAM_S, False, "s",
        ", ".join(f"{k} {v['median'] * 1e3:.0f} ms" for k, v in results["diagrams"].items()))
    add("default Criticality page compute (1 BLAS thread)", results["page"]["median"], PAGE_S, False, "s",
        results["page"]["what"])
