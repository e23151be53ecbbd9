"""One process serves everyone (issue 4): every cache is bounded in entries and bytes, the app asks
for one BLAS thread, Streamlit's settings are the measured ones, and a session's state does not
grow with the number of links it opens."""

import ast
import pickle
import tomllib
from pathlib import Path

from streamlit.testing.v1 import AppTest

from test_app_support import APP

ROOT = Path(APP).parent
SOURCES = sorted((ROOT / "initviz").rglob("*.py")) + [ROOT / "app.py"]


def _decorators(name: str):
    """(file, decorator call) for every ``@st.<name>(...)`` or bare ``@st.<name>`` in the app."""
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for dec in node.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    if isinstance(target, ast.Attribute) and target.attr == name:
                        yield path, node.name, dec, tree


def _module_dict(tree: ast.Module, name: str) -> set[str]:
    """Keys of a module-level ``NAME = dict(k=...)`` or ``{"k": ...}``."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
            if isinstance(value, ast.Call):
                return {kw.arg for kw in value.keywords}
            if isinstance(value, ast.Dict):
                return {k.value for k in value.keys if isinstance(k, ast.Constant)}
    return set()


def test_every_data_cache_is_bounded_in_entries_and_bytes():
    found = list(_decorators("cache_data"))
    assert found, "no st.cache_data at all? the pages compute through cached functions"
    for path, func, dec, tree in found:
        assert isinstance(dec, ast.Call), f"{path.name}:{func}: bare @st.cache_data is unbounded"
        keys = {kw.arg for kw in dec.keywords if kw.arg}
        for kw in dec.keywords:
            if kw.arg is None and isinstance(kw.value, ast.Name):  # **CACHE
                keys |= _module_dict(tree, kw.value.id)
        assert {"max_entries", "max_size"} <= keys, f"{path.name}:{func} caches without {'max_entries', 'max_size'}"


def test_resource_caches_hold_one_object_each():
    """``st.cache_resource`` keeps one object per distinct arguments for ever: only argument-free ones."""
    for path, func, dec, tree in _decorators("cache_resource"):
        fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == func)
        assert not fn.args.args and not fn.args.kwonlyargs, f"{path.name}:{func} caches per argument"


def test_the_app_limits_blas_to_one_thread():
    tree = ast.parse((ROOT / "initviz" / "ui" / "main.py").read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "threadpool_limits"]
    assert calls and all(any(kw.arg == "limits" and getattr(kw.value, "value", None) == 1 for kw in c.keywords)
                         for c in calls)


def test_streamlit_runs_with_the_measured_settings():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False  # BENCHMARKS.md, "Load and soak"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["runOnSave"] is False


def _state_size(at) -> tuple[int, int]:
    """(number of session-state keys, pickled bytes of the frame's own entries)."""
    keys = list(at.session_state.filtered_state) if hasattr(at.session_state, "filtered_state") else \
        [k for k in at.session_state]
    own = {k: at.session_state[k] for k in keys if str(k).startswith("initviz:")}
    return len(keys), len(pickle.dumps(own))


def test_session_state_does_not_grow_with_the_links_a_session_opens():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("initviz/ui/pages/initializers.py").run()

    def open_links(first: int, count: int) -> None:
        for i in range(first, first + count):
            at.query_params.clear()
            at.query_params.update({"seed": str(i), f"unknown_{i}": "x" * 200, "n_in": str(1 + i % 97)})
            at.run()
            assert not at.exception

    open_links(0, 5)
    keys, size = _state_size(at)
    open_links(5, 40)
    keys_after, size_after = _state_size(at)
    assert keys_after == keys
    # the notices of the last link only (each link's own unknown key is as long): no accumulation
    assert size_after <= size * 1.1
