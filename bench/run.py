"""``make bench``: initviz against a PyTorch notebook and against the machine's limits, in one run.

For each propagation workload (W1–W3, :mod:`bench.workloads`) it times, **in alternation** (one
call of each per round, so that on a shared machine every side sees the same load):

1. ``initviz.propagate(Network.mlp(...), batch, seed, dtype, backward=True, weight_grad=True,
   histograms=())`` (the notebook bins no histograms) — network construction included — with numpy's default BLAS threads (the figure the targets
   use) and with one BLAS thread (what ``app.py`` sets for the app);
2. the PyTorch notebook (:mod:`bench.torch_reference`), whole runs and model building alone, in a
   worker process run by an interpreter that has torch: ``$INITVIZ_TORCH_PYTHON``, else this
   interpreter, else ``python3`` on the PATH; when none has torch the bench says so and goes on;

then the machine's limits at the workload's shapes and its physical floor (:mod:`bench.limits`).
Then the geometry sweep (``initviz.geometry.gram_sweep`` per i.i.d. distribution, n = 8 … 4096,
against the notebook's sweep and the floor; Haar orthogonal timed apart, outside the target), the
default Propagation page's computation (its link schema's defaults: the forward view, so forward
statistics without histograms plus the mean-field prediction) with one BLAS thread as in the app, the
Width page's default view and its learning-rate transfer view (``width``: the calls the page sends to
its worker processes, run as the app runs them — each in a worker of a two-process pool with one BLAS
thread, all at once — and, for their CPU cost, one after the other in this process), the default
Training view (:mod:`bench.training`: on two worker processes as the app, and in one process, against
the notebook's training loop), the Criticality page (:mod:`bench.criticality`) and the browser figures
(:mod:`bench.browser`). Every figure is the median of k timed calls
after a warm-up (:mod:`bench.timing`). A size initviz refuses (its explicit limits) is reported as
refused.

It prints absolute times, the ratios of issue 5 with PASS/FAIL per target, and writes everything
to ``bench/results/latest.json`` and a Markdown summary for BENCHMARKS.md to
``bench/results/latest.md`` (both git-ignored). Targets are benchmarks, not tests: the exit
status is 0 unless the bench itself failed (``--strict``: 1 when a target fails).

    python -m bench.run [--quick] [--only W1,W2,W3,G,page,width,training,criticality] [--no-browser] [--no-torch]
                        [--strict] [--draws 1|2]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController, threadpool_limits

from . import limits
from .timing import BUDGET_S, FULL_REPEATS, QUICK_REPEATS, SelfTimed, time_interleaved
from .workloads import GEOMETRY, TARGETS, TRAINING, TRAINING_ISSUE, WORKLOADS, GeometrySweep, TrainingView, Workload

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
TORCH_ENV = "INITVIZ_TORCH_PYTHON"
QUICK_BUDGET_S = 10.0
"""Time budget of one measurement with ``--quick`` (seconds of timed calls)."""
PARTS = (*WORKLOADS, GEOMETRY.name, "page", "width", "training", "criticality")
"""What ``--only`` can name (the browser is switched off by ``--no-browser``)."""


# --- the torch side ---------------------------------------------------------------------------------

def torch_python() -> tuple[str | None, str]:
    """(interpreter with torch, how it was found) or (None, why not): ``$INITVIZ_TORCH_PYTHON``,
    else this interpreter, else ``python3`` on the PATH."""
    explicit = os.environ.get(TORCH_ENV)
    candidates = [explicit] if explicit else [sys.executable, shutil.which("python3")]
    tried = []
    for python in candidates:
        if not python:
            continue
        try:
            probe = subprocess.run([python, "-c", "import torch"], capture_output=True, text=True)
        except OSError:  # not an executable
            probe = None
        if probe is not None and probe.returncode == 0:
            return python, f"{TORCH_ENV}" if explicit else "found"
        tried.append(python)
    where = f"{TORCH_ENV}={explicit}" if explicit else ", ".join(tried) or "no python3 on PATH"
    return None, f"torch is not importable ({where}); install torch or set {TORCH_ENV}"


class TorchError(RuntimeError):
    """The notebook failed (its message) or its worker died."""


class TorchWorker:
    """``python -m bench.torch_reference serve`` in a subprocess; :meth:`call` times one call there."""

    def __init__(self, python: str, threads: int | None = None):
        self.python, self.threads = python, threads
        cmd = [python, "-m", "bench.torch_reference", "serve"] + (["--threads", str(threads)] if threads else [])
        self.proc = subprocess.Popen(cmd, cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.hello = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise TorchError(f"the torch worker exited ({self.proc.wait()})")
        return json.loads(line)

    def call(self, op: str, name: str) -> SelfTimed:
        """Seconds of one ``op`` ("run" or "build") of workload ``name``, measured in the worker."""
        try:
            self.proc.stdin.write(json.dumps({"op": op, "name": name}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise TorchError(f"the torch worker exited ({self.proc.wait()})") from None
        reply = self._read()
        if "error" in reply:
            raise TorchError(reply["error"])
        return SelfTimed(reply["seconds"])

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def measure(fns: dict, torch_fns: dict, repeats: int, budget: float) -> tuple[dict, dict]:
    """:func:`time_interleaved` of ``fns`` and ``torch_fns`` together; if the notebook fails, the
    others are timed alone and every torch entry holds ``{"error": message}``."""
    try:
        return time_interleaved({**fns, **torch_fns}, repeats, warmup=1, budget=budget), {}
    except TorchError as exc:
        return time_interleaved(fns, repeats, warmup=1, budget=budget), {k: {"error": str(exc)} for k in torch_fns}


# --- the initviz side -------------------------------------------------------------------------------

def _one_blas_thread(fn):
    """``fn`` run with one BLAS thread, as ``app.py`` runs every computation."""
    controller = ThreadpoolController()

    def call():
        with controller.limit(limits=1, user_api="blas"):
            return fn()
    return call


def propagation_call(w: Workload):
    """(``propagate`` on ``w`` with its network built inside, None) — or (None, initviz's refusal).
    A workload marked ``local_budget`` (W2) passes ``budget=Budget.local()`` to both calls, as a
    Python user on their own machine may; the hosted defaults refuse it. The check runs the call
    once (initviz checks its limits before any work)."""
    import initviz as iv
    from initviz.limits import Budget

    budget = Budget.local() if w.local_budget else None

    def call():
        return iv.propagate(iv.Network.mlp(**w.network_kwargs(), budget=budget), **w.propagate_kwargs(), budget=budget)
    try:
        call()
    except iv.InitvizError as exc:
        return None, str(exc)
    return call, None


def sweep_calls(sweep: GeometrySweep, kinds: tuple[str, ...]) -> dict:
    """Per distribution of ``kinds``: ``gram_sweep`` to the largest n initviz accepts, with that n
    and the refusal of the larger sizes (if any)."""
    from initviz import InitvizError, geometry

    out = {}
    for kind in kinds:
        dims, refusal = sweep.dims, None
        while dims:
            def call(dims=dims, kind=kind):
                return geometry.gram_sweep(dims=dims, ensembles=(kind,), repeats=sweep.max_repeats, seed=0,
                                           dtype=sweep.dtype)
            try:
                call()  # limits are checked before any work
            except InitvizError as exc:
                refusal, dims = refusal or str(exc), dims[:-1]
                continue
            out[kind] = {"call": call, "largest_n": dims[-1], "partial": dims != sweep.dims, "refusal": refusal}
            break
        else:
            out[kind] = {"call": None, "refused": refusal}
    return out


def run_workload(w: Workload, worker: TorchWorker | None, repeats: int, budget: float,
                 one_thread_too: bool = True) -> dict:
    """initviz (and, if asked, initviz with one BLAS thread) and the notebook in alternation, then
    the limits."""
    call, refusal = propagation_call(w)
    fns = {} if call is None else {"initviz": call}
    if call is not None and one_thread_too:
        fns["initviz_1thread"] = _one_blas_thread(call)
    fns["numpy_bare"] = limits.bare_numpy(w)
    torch_fns = {} if worker is None else {"torch": lambda: worker.call("run", w.name),
                                           "torch_build": lambda: worker.call("build", w.name)}
    timed, failed = measure(fns, torch_fns, repeats, budget)
    entry = {"describe": w.describe(), **timed, **failed}
    if refusal:
        entry["initviz"] = {"refused": refusal}
    if worker is None:
        entry["torch"] = {"absent": True}
    entry["limits"] = limits.workload_limits(w, repeats)
    return entry


def _timed_kinds(calls: dict, timed: dict) -> dict:
    return {kind: {**{k: v for k, v in c.items() if k != "call"}, **timed.get(kind, {})} for kind, c in calls.items()}


def run_geometry(sweep: GeometrySweep, worker: TorchWorker | None, repeats: int, budget: float) -> dict:
    """initviz's sweep per distribution and the notebook's whole sweep in alternation, the floor;
    then the extra distributions (orthogonal) alone, outside the target."""
    calls, extras = sweep_calls(sweep, sweep.kinds), sweep_calls(sweep, sweep.extra_kinds)
    fns = {kind: c["call"] for kind, c in calls.items() if c["call"] is not None}
    torch_fns = {} if worker is None else {"torch": lambda: worker.call("run", sweep.name)}
    timed, failed = measure(fns, torch_fns, repeats, budget)
    extra_fns = {kind: c["call"] for kind, c in extras.items() if c["call"] is not None}
    extra_timed = measure(extra_fns, {}, repeats, budget)[0] if extra_fns else {}
    kinds = _timed_kinds(calls, timed)
    complete = all("median" in k and not k["partial"] for k in kinds.values())
    total = sum(k["median"] for k in kinds.values() if "median" in k)
    return {"initviz": {"kinds": kinds, "extra": _timed_kinds(extras, extra_timed), "median": total,
                        "complete": complete},
            "torch": failed.get("torch") or timed.get("torch") or {"absent": True},
            "limits": limits.geometry_limits(sweep, repeats)}


PAGE_VIEW = "forward"
"""The Propagation page's default view, the one ``page`` measures: forward statistics only (no
backward pass, no weight gradients, no histograms) beside the mean-field prediction."""


RESIDUAL_PAGE = {"arch": "pre"}
"""The residual view the bench reports beside the MLP's: the Propagation page's defaults with pre-norm
residual blocks (its default norm, branch and preset) — issue 14's "cost of the residual default view"."""


def page_calls(overrides: dict | None = None) -> tuple[list, str]:
    """The runs (``initviz.ui.links.propagation.Run``: ``build()``, ``propagate`` and ``predict``
    kwargs) the default Propagation page makes — one per compared scheme, from the page's run plan on
    its link schema's defaults with ``overrides`` (e.g. :data:`RESIDUAL_PAGE`), with the local budget
    (``make run``'s: no page budget, the core's ``Budget.local()``) — and a description. The default
    view is :data:`PAGE_VIEW` (checked: another default view fails loudly rather than timing the wrong
    work): ``propagate`` runs without the backward pass, the weight gradients or histograms. Figures
    and tables are not included: this is the page's computation."""
    from initviz.limits import Budget
    from initviz.ui import links

    s, _ = links.constrain("propagation", {**links.SCHEMAS["propagation"].defaults(), **(overrides or {})})
    if s["view"] != PAGE_VIEW:
        raise RuntimeError(f"the Propagation page's default view is now {s['view']!r}, not {PAGE_VIEW!r}: "
                           "update bench.run.page_calls to what that view computes")
    calls = list(links.propagation.runs(s, budget=Budget.local()))
    arch = "" if s.get("arch", "mlp") == "mlp" else f"{s['arch']}-norm residual blocks ({s['norm']}), "
    what = (f"the Propagation page's link defaults{' with ' + str(overrides) if overrides else ''}: {arch}depth "
            f"{s['depth']}, width {s['width']}, {s['activation']}, {' + '.join(links.compared_schemes(s))}, batch "
            f"{s['batch']}, {s['n_seeds']} seed(s), {s['dtype']}; the {PAGE_VIEW} view: propagate (forward "
            "statistics; no backward pass, no histograms) + mean-field prediction")
    return calls, what


def _prediction(net, predict: dict):
    """The page's theory line for ``net``: the MLP mean field or the residual one, where it applies."""
    from initviz import meanfield, residual_theory
    if net.residual is None and net.norm == "none":
        return meanfield.predict(net, **predict) if meanfield.mean_field_applies(net) is None else None
    if residual_theory.residual_mean_field_applies(net) is None:
        return residual_theory.predict_residual(net, batch=predict["batch"])
    return None


def run_page(repeats: int, budget: float, overrides: dict | None = None) -> dict:
    """The default Propagation page's compute (networks built inside) with one BLAS thread, as
    ``app.py`` runs it, and with numpy's default threads, alternating."""
    import initviz as iv

    calls, what = page_calls(overrides)

    def once():
        out = []
        for run in calls:
            net = run.build()
            out.append((iv.propagate(net, **run.propagate), _prediction(net, run.predict)))
        return out

    timed = time_interleaved({"one": _one_blas_thread(once), "default": once}, repeats, warmup=1, budget=budget)
    return {**timed["one"], "default_threads": timed["default"]["median"], "what": what}


WIDTH_TRANSFER = {"view": "transfer"}
"""The Width page's learning-rate transfer view at its defaults (the bench's ``width_transfer``)."""
WIDTH_RESIDUAL = {"arch": "pre"}
"""The Width page's default view of a residual family (pre-norm; the bench's ``width_residual``)."""
WIDTH_WORKERS = 2
"""Worker processes of the Width measurement: the app's pool on a 2-core machine (issue 16's target)."""


def width_calls(overrides: dict | None = None) -> tuple[list, str]:
    """The (function, kwargs) pairs the Width page sends to its workers for its link schema's defaults
    with ``overrides`` (one per parametrisation drawn: a coordinate check, or a learning-rate sweep in
    the transfer view), and a description."""
    from initviz.ui import links
    from initviz.ui.links import width as plan

    s, _ = links.constrain("width", {**links.SCHEMAS["width"].defaults(), **(overrides or {})})
    presets = plan.parametrisations(s)
    if s["view"] == "transfer":
        calls = [(plan.sweep, plan.sweep_kwargs(s, p)) for p in presets]
        rates = plan.log2_rates(s)
        what = (f"lr_sweep {' + '.join(presets)}, {s['optimizer']}, widths {plan.widths(s)}, log2 lr {rates[0]}…"
                f"{rates[-1]}, {s['sweep_steps']} steps of batch {plan.SWEEP_BATCH}, {s['sweep_seeds']} seed(s)")
    else:
        calls = [(plan.check, plan.check_kwargs(s, p)) for p in presets]
        what = (f"coord_check {' + '.join(presets)}, {s['optimizer']} lr {plan.lr(s):g}, widths {plan.widths(s)}, "
                f"{s['steps']} steps, {s['n_seeds']} seeds")
    return calls, f"the Width page's link defaults{' with ' + str(overrides) if overrides else ''}: {what}"


def cpu_timed(fn, kwargs: dict) -> float:
    """CPU seconds of ``fn(**kwargs)`` in this process (a worker's: module-level, so it pickles)."""
    import time

    start = time.process_time()
    fn(**kwargs)
    return time.process_time() - start


def run_width(repeats: int, budget: float, overrides: dict | None = None) -> dict:
    """The Width view's calls as the app makes them (each in a worker process with one BLAS thread,
    all at once, :data:`WIDTH_WORKERS` workers) and, alternating, one after the other here with one
    BLAS thread; then once more in the workers for each call's CPU seconds — on a busy machine the
    wall time measures the neighbours too, while the largest call's CPU time is what the view would
    wait on two idle cores (``idle_estimate``)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from initviz.ui import workers

    calls, what = width_calls(overrides)
    pool = ProcessPoolExecutor(max_workers=WIDTH_WORKERS, mp_context=multiprocessing.get_context("spawn"),
                               initializer=workers._start_worker)
    try:
        for f in [pool.submit(os.getpid) for _ in range(WIDTH_WORKERS)]:  # started before timing
            f.result()

        def in_workers():
            return [f.result() for f in [pool.submit(fn, **kwargs) for fn, kwargs in calls]]

        def in_turn():
            return [fn(**kwargs) for fn, kwargs in calls]

        timed = time_interleaved({"workers": in_workers, "one": _one_blas_thread(in_turn)}, repeats, warmup=1,
                                 budget=budget)
        cpu = [f.result() for f in [pool.submit(cpu_timed, fn, kwargs) for fn, kwargs in calls]]
    finally:
        pool.shutdown()
    return {**timed["workers"], "sequential_1thread": timed["one"]["median"], "cpu_s": cpu,
            "idle_estimate": max(cpu) if len(cpu) <= WIDTH_WORKERS else sum(cpu) / WIDTH_WORKERS, "what": what}


def run_training(view: TrainingView, worker: TorchWorker | None, python: str | None, repeats: int,
                 budget: float) -> dict:
    """A Training view (:mod:`bench.training`): on two workers (the target) and in one process with one
    BLAS thread, alternating with the notebook (:func:`bench.torch_reference.train_view`) at torch's
    default threads and, in a second worker, with one torch thread."""
    from . import training

    runs = training.view_runs(view)
    pool = training.ViewPool(runs)
    one = None
    try:
        pool()  # start and warm the workers: the app's live as long as the server
        fns = {"view": pool, "one_process": _one_blas_thread(training.one_process(runs))}
        torch_fns = {}
        if worker is not None:
            torch_fns["torch"] = lambda: worker.call("run", view.name)
            one = TorchWorker(python, 1)
            torch_fns["torch_1thread"] = lambda: one.call("run", view.name)
        timed, failed = measure(fns, torch_fns, repeats, budget)
    finally:
        pool.close()
        if one is not None:
            one.close()
    return {**timed, **failed, **({} if worker is not None else {"torch": {"absent": True}}),
            "what": view.describe(), "workers": training.WORKERS}


TRAINING_RESULTS = {"training": ("default Training view", TRAINING),
                    "training_issue": ("issue 13's 6-layer Training view", TRAINING_ISSUE)}
"""The results' keys of the timed training views, with their labels."""


# --- the report ---------------------------------------------------------------------------------------

def machine() -> dict:
    """nproc, CPU model, BLAS, versions, commit and date of this run."""
    from threadpoolctl import threadpool_info
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    pools = [f"{p['internal_api']} {p.get('version')} ({p.get('architecture')}, {p['num_threads']} threads)"
             for p in threadpool_info() if p["user_api"] == "blas"]

    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else "unknown"

    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "initviz")),
            "nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "numpy": np.__version__,
            "blas": f"{blas.get('name')} {blas.get('version')}", "blas_runtime": pools,
            "load_average": list(os.getloadavg())}


BUSY_LOAD = 0.5
"""A load average above this many runnable tasks per core at the start or end marks the run busy."""


def busy_warning(results: dict) -> str:
    """A warning when other processes competed for the cores during the run, else ""."""
    m = results["machine"]
    load = max(m["load_average"][0], m.get("load_average_end", [0.0])[0])
    if load <= BUSY_LOAD * m["nproc"]:
        return ""
    advice = "" if results["threads"] == 1 else "; --threads 1 gives steadier ratios"
    return (f"WARNING: the machine was busy (load average up to {load:.1f} on {m['nproc']} cores): every figure is "
            f"slower than on a quiet machine, multi-threaded ones (BLAS, torch) by several × under contention{advice}.")


def _ratio(a, b):
    return a / b if a and b else None


def verdicts(results: dict) -> list[dict]:
    """One row per target of issue 5: name, value, bound, PASS/FAIL/SKIP and a note."""
    rows = []

    def add(name, value, bound, at_least, unit, note=""):
        if value is None:
            rows.append({"target": name, "value": None, "bound": bound, "status": "SKIP", "note": note, "unit": unit})
            return
        ok = value >= bound if at_least else value <= bound
        rows.append({"target": name, "value": value, "bound": bound, "status": "PASS" if ok else "FAIL",
                     "note": note, "unit": unit, "at_least": at_least})

    work = results.get("workloads", {})
    for name, key in (("W1", "W1_speedup"), ("W2", "W2_speedup"), ("W3", "W3_speedup")):
        if name not in work:
            continue
        entry = work[name]
        note = (entry["initviz"].get("refused") or entry["torch"].get("error")
                or ("torch absent" if entry["torch"].get("absent") else ""))
        speedup = _ratio(entry["torch"].get("median"), entry["initviz"].get("median"))
        torch_s, bare_s = entry["torch"].get("median"), entry.get("numpy_bare", {}).get("median")
        if torch_s and bare_s and not note:
            needed = torch_s / TARGETS[key]
            note = (f"needs ≤ {_fmt_s(needed).strip()}; bare numpy (one sampling stream, no statistics) "
                    f"takes {_fmt_s(bare_s).strip()}")
        if "refused" in entry["initviz"]:
            rows.append({"target": f"{name} speed-up vs notebook", "value": None, "bound": TARGETS[key],
                         "status": "FAIL", "note": "initviz refuses: " + note, "unit": "×"})
        else:
            add(f"{name} speed-up vs notebook", speedup, TARGETS[key], True, "×", note)
        if name == "W1":
            add("W1 time / floor", _ratio(entry["initviz"].get("median"), entry["limits"]["floor_s"]),
                TARGETS["W1_floor"], False, "×")
    if "G" in results:
        geo = results["G"]["initviz"]
        note = "" if geo["complete"] else "incomplete: " + "; ".join(
            f"{k} {v.get('refusal') or v.get('refused')}" for k, v in geo["kinds"].items()
            if v.get("partial") or "refused" in v)
        if geo["complete"]:
            add(f"geometry sweep to n = {GEOMETRY.dims[-1]}", geo["median"], TARGETS["geometry_s"], False, "s")
        else:
            rows.append({"target": f"geometry sweep to n = {GEOMETRY.dims[-1]}", "value": geo["median"],
                         "bound": TARGETS["geometry_s"], "status": "FAIL", "note": note, "unit": "s"})
    if "page" in results:
        page = results["page"]
        add("default Propagation page compute (1 BLAS thread)", page["median"], TARGETS["page_s"], False, "s")
    for key, target, name in (("width", "width_s", "default Width view compute (2 workers)"),
                              ("width_transfer", "width_transfer_s", "Width LR-transfer view compute (2 workers)"),
                              ("width_residual", "width_s", "default residual Width view compute (2 workers)")):
        if key in results:
            add(name, results[key]["median"], TARGETS[target], False, "s",
                f"CPU per worker {', '.join(_fmt_s(c).strip() for c in results[key]['cpu_s'])}: "
                f"~{_fmt_s(results[key]['idle_estimate']).strip()} on two idle cores")
    if "criticality" in results:
        from . import criticality
        criticality.verdicts(results["criticality"], add)
    for key, (label, _) in TRAINING_RESULTS.items():
        if key not in results:
            continue
        t = results[key]
        add(f"{label} (2 workers)", t["view"]["median"], TARGETS["training_s"], False, "s")
        note = t["torch"].get("error") or ("torch absent" if t["torch"].get("absent") else "")
        add(f"{label}: speed-up vs notebook (2 cores each)", _ratio(t["torch"].get("median"), t["view"]["median"]),
            TARGETS["training_speedup"], True, "×", note)
    browser = results.get("browser")
    if browser is not None:
        if "skipped" in browser:
            rows.append({"target": "browser", "value": None, "bound": None, "status": "SKIP",
                         "note": browser["skipped"], "unit": ""})
        for page, entry in browser.get("pages", {}).items():
            if "error" in entry:
                rows.append({"target": f"browser {page}", "value": None, "bound": None, "status": "FAIL",
                             "note": entry["error"], "unit": ""})
                continue
            add(f"{page}: control change → redrawn chart (median)", entry.get("redraw_median_s"),
                TARGETS.get(f"{page}_redraw_s", TARGETS["redraw_s"]), False, "s", f"control `{entry.get('control')}`")
            if page == "training":
                add("training: control change → first curve points (median)", entry.get("first_new_chart_median_s"),
                    TARGETS["training_first_points_s"], False, "s", f"control `{entry.get('control')}`")
            add(f"{page}: largest chart payload", entry.get("max_chart_bytes"), TARGETS["payload_bytes"], False, "B",
                f"{entry.get('charts')} charts")
    return rows


def _fmt_s(value) -> str:
    if value is None:
        return "—"
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.3f} s"


def _fmt_ratio(value) -> str:
    return f"{value:.2f}×" if value else "—"


def _fmt_value(row) -> str:
    value, unit = row["value"], row["unit"]
    if value is None:
        return "—"
    if unit == "s":
        return _fmt_s(value)
    if unit == "B":
        return f"{value / 1024:.1f} KB"
    return f"{value:.2f}{unit}"


def _fmt_bound(row) -> str:
    bound, unit = row["bound"], row["unit"]
    if bound is None:
        return ""
    sign = "≥" if row.get("at_least", unit == "×" and "speed-up" in row["target"]) else "≤"
    if unit == "s":
        return f"{sign} {_fmt_s(bound)}"
    if unit == "B":
        return f"{sign} {bound / 1024:.0f} KB"
    return f"{sign} {bound:g}{unit}"


def _table_row(name: str, entry: dict, what: str) -> str:
    ours, torch_, floor = entry["initviz"].get("median"), entry["torch"].get("median"), entry["limits"]["floor_s"]
    one = entry.get("initviz_1thread", {}).get("median")
    speed, over = _ratio(torch_, ours), _ratio(ours, floor)
    return (f"{name:<9}{_fmt_s(ours):>11}{_fmt_s(one):>11}{_fmt_s(torch_):>11}{_fmt_s(floor):>11}"
            f"{(f'{speed:.2f}×' if speed else '—'):>10}{(f'{over:.2f}×' if over else '—'):>9}  {what}")


def _kind_times(kinds: dict) -> str:
    """``normal 0.3 s, …`` — with the largest n when initviz refused the larger sizes."""
    return ", ".join(f"{k} {_fmt_s(v['median'])}" + (f" (to n = {v['largest_n']} only)" if v["partial"] else "")
                     if "median" in v else f"{k} refused" for k, v in kinds.items())


def report(results: dict) -> str:
    """The printed summary: machine, absolute times, then the targets with PASS/FAIL."""
    m = results["machine"]
    lines = [f"initviz bench — {m['date']}, commit {m['commit']}{' (initviz modified)' if m['dirty'] else ''}",
             f"machine: {m['nproc']} × {m['cpu']}, numpy {m['numpy']} ({m['blas']}; {', '.join(m['blas_runtime'])}), "
             f"load average {m['load_average'][0]:.2f} at start, {m['load_average_end'][0]:.2f} at the end; "
             f"threads: {results['threads']}",
             f"torch: {results['torch_status']}"]
    warning = busy_warning(results)
    lines += [warning, ""] if warning else [""]
    for row in results.get("peaks", []):
        lines.append(f"limits {row['dtype']}: GEMM {limits.SQUARE_N}² {row['square_gflops']:.1f} GFLOP/s; "
                     f"RNG normal {row['normal'] / 1e6:.0f} M/s (numpy's ziggurat, draws=1), "
                     f"{row['normal_v2'] / 1e6:.0f} M/s (initviz draws=2), uniform {row['uniform'] / 1e6:.0f} M/s")
    header = (f"{'workload':<9}{'initviz':>11}{'1 thread':>11}{'notebook':>11}{'floor':>11}{'speed-up':>10}"
              f"{'/ floor':>9}  what")
    lines += ["", header, "-" * len(header)]
    for name, entry in results.get("workloads", {}).items():
        what = entry["describe"] + ("  [initviz refuses: see targets]" if "refused" in entry["initviz"] else "")
        lines.append(_table_row(name, entry, what))
        lim = entry["limits"]
        build = entry.get("torch_build", {}).get("median")
        bare = entry.get("numpy_bare", {}).get("median")
        lines.append(f"{'':<9}floor = GEMM {_fmt_s(lim['gemm_s'])} (peak {lim['peak_gflops']:.1f} GFLOP/s at its "
                     f"shapes) + sampling {_fmt_s(lim['sample_s'])} ({lim['rng']['normal_fastest'] / 1e6:.0f} M "
                     f"normals/s, the fastest sampler: ziggurat {lim['rng']['normal'] / 1e6:.0f}, draws=2 "
                     f"{lim['rng']['normal_v2'] / 1e6:.0f})"
                     + (f"; notebook build+init {_fmt_s(build)}" if build else "")
                     + (f"; bare numpy (no statistics) {_fmt_s(bare)}" if bare else ""))
    if "G" in results:
        g = results["G"]
        lines.append(_table_row("G", g, GEOMETRY.describe()))
        lines.append(f"{'':<9}initviz per distribution: {_kind_times(g['initviz']['kinds'])}")
        if g["initviz"].get("extra"):
            lines.append(f"{'':<9}apart, not in the target: {_kind_times(g['initviz']['extra'])}")
    if "page" in results:
        p = results["page"]
        lines.append(f"{'page':<9}{_fmt_s(p['default_threads']):>11}{_fmt_s(p['median']):>11}{'':>11}{'':>11}"
                     f"{'':>10}{'':>9}  {p['what']}")
    if "page_residual" in results:
        p = results["page_residual"]
        lines.append(f"{'page res':<9}{_fmt_s(p['default_threads']):>11}{_fmt_s(p['median']):>11}{'':>11}{'':>11}"
                     f"{'':>10}{'':>9}  {p['what']}")
    for key, label in (("width", "width"), ("width_transfer", "width lr"), ("width_residual", "width res")):
        if key in results:
            p = results[key]
            lines.append(f"{label:<9}{_fmt_s(p['median']):>11}{_fmt_s(p['sequential_1thread']):>11}{'':>11}{'':>11}"
                         f"{'':>10}{'':>9}  {p['what']} (initviz: {WIDTH_WORKERS} workers at once; 1 thread: in turn)")
    for key in (k for k in TRAINING_RESULTS if k in results):
        t = results[key]
        torch_, torch1 = t["torch"].get("median"), t.get("torch_1thread", {}).get("median")
        lines += ["", f"{key}: {t['what']}",
                  f"  initviz: {_fmt_s(t['view']['median'])} on {t['workers']} workers (1 BLAS thread each), "
                  f"{_fmt_s(t['one_process']['median'])} in one process (1 BLAS thread); notebook: {_fmt_s(torch_)} "
                  f"(torch's default threads), {_fmt_s(torch1)} (1 thread); speed-up "
                  f"{_fmt_ratio(_ratio(torch_, t['view']['median']))} (2 cores each), "
                  f"{_fmt_ratio(_ratio(torch1, t['one_process']['median']))} (1 thread each)"]
    browser = results.get("browser")
    if browser and "pages" in browser:
        lines += ["", "browser (Chromium): page load → first chart, control change → redrawn chart, bytes per chart"]
        for page, e in browser["pages"].items():
            if "error" in e:
                lines.append(f"  {page}: ERROR {e['error']}")
                continue
            phases, cpu = e["redraw_phases_median_s"], e["cpu_per_redraw_s"]
            lines.append(f"  {page}: app shell {_fmt_s(e['shell_median_s'])}; first chart {_fmt_s(e['first_chart_cold_s'])} "
                         f"cold, {_fmt_s(e['first_chart_median_s'])} warm (median); redraw after `{e['control']}` {_fmt_s(e['redraw_median_s'])} median "
                         f"({', '.join(_fmt_s(t) for t in e['redraw_s'])}; phases: to script start "
                         f"{_fmt_s(phases['to_script_start'])}, script {_fmt_s(phases['script'])}, after "
                         f"{_fmt_s(phases['after_script'])}; first new chart {_fmt_s(e['first_new_chart_median_s'])}; "
                         f"CPU per redraw: Chromium {_fmt_s(cpu['browser'])}, app {_fmt_s(cpu['app'])}); "
                         f"{e['charts']} charts, "
                         f"largest {e['max_chart_bytes'] / 1024:.1f} KB, total {e['total_chart_bytes'] / 1024:.1f} KB")
    lines += ["", "targets (issues 5, 13)" + (" — machine busy, see the warning above" if warning else "")]
    for row in results["verdicts"]:
        note = f"  ({row['note']})" if row.get("note") else ""
        lines.append(f"  {row['status']:<5} {row['target']}: {_fmt_value(row)} {_fmt_bound(row)}{note}")
    return "\n".join(lines)


def markdown(results: dict, command: str) -> str:
    """The run as Markdown, ready to paste into BENCHMARKS.md: machine, figures, targets."""
    m = results["machine"]
    out = [f"Run of {m['date']} at commit `{m['commit']}`{' (initviz modified)' if m['dirty'] else ''}: "
           f"`{command}`.", "",
           f"Machine: {m['nproc']} × {m['cpu']} (`nproc` = {m['nproc']}), Python {m['python']}, numpy {m['numpy']} "
           f"with {m['blas']} ({', '.join(m['blas_runtime'])}); torch: {results['torch_status']}. Load average "
           f"{m['load_average'][0]:.2f} at the start and {m['load_average_end'][0]:.2f} at the end. Threads: "
           f"{results['threads']}.", ""]
    if busy_warning(results):
        out += [f"**{busy_warning(results)}**", ""]
    for row in results.get("peaks", []):
        out.append(f"- limits, {row['dtype']}: GEMM {limits.SQUARE_N}² {row['square_gflops']:.1f} GFLOP/s; RNG "
                   f"standard_normal {row['normal'] / 1e6:.0f} M/s, initviz draws=2 {row['normal_v2'] / 1e6:.0f} M/s, "
                   f"uniform {row['uniform'] / 1e6:.0f} M/s")
    out += ["", "| workload | initviz | initviz, 1 BLAS thread | notebook (torch) | numpy, no statistics | floor | "
            "speed-up | initviz / floor |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    rows = [(name, e) for name, e in results.get("workloads", {}).items()]
    if "G" in results:
        rows.append(("G", results["G"]))
    for name, e in rows:
        ours, torch_, floor = e["initviz"].get("median"), e["torch"].get("median"), e["limits"]["floor_s"]
        one = e.get("initviz_1thread", {}).get("median")
        speed, over = _ratio(torch_, ours), _ratio(ours, floor)
        ours_text = "refused" if "refused" in e["initviz"] else _fmt_s(ours)
        bare = e.get("numpy_bare", {}).get("median")
        out.append(f"| {name} | {ours_text} | {_fmt_s(one)} | {_fmt_s(torch_)} | {_fmt_s(bare) if bare else '—'} | "
                   f"{_fmt_s(floor)} | {f'{speed:.2f}×' if speed else '—'} | {f'{over:.2f}×' if over else '—'} |")
    if "page" in results:
        p = results["page"]
        out.append(f"| page | {_fmt_s(p['default_threads'])} | {_fmt_s(p['median'])} | | | | | |")
    if "page_residual" in results:
        p = results["page_residual"]
        out.append(f"| page, residual (pre-norm) | {_fmt_s(p['default_threads'])} | {_fmt_s(p['median'])} | | | | | |")
    for key, label in (("width", "Width page, default view"), ("width_transfer", "Width page, LR transfer"),
                       ("width_residual", "Width page, residual default view")):
        if key in results:
            p = results[key]
            out.append(f"| {label} ({WIDTH_WORKERS} workers at once; in turn) | {_fmt_s(p['median'])} | "
                       f"{_fmt_s(p['sequential_1thread'])} | | | | | |")
    for key, (label, _) in ((k, v) for k, v in TRAINING_RESULTS.items() if k in results):
        t = results[key]
        torch_, torch1 = t["torch"].get("median"), t.get("torch_1thread", {}).get("median")
        out += ["", f"{label[0].upper() + label[1:]} ({t['what']}):", "",
                "| training view | initviz | notebook (torch) | speed-up |", "|---|---:|---:|---:|",
                f"| 2 cores: initviz on {t['workers']} workers (1 BLAS thread each), torch's default threads | "
                f"{_fmt_s(t['view']['median'])} | {_fmt_s(torch_)} | "
                f"{_fmt_ratio(_ratio(torch_, t['view']['median']))} |",
                f"| 1 thread each, one process | {_fmt_s(t['one_process']['median'])} | {_fmt_s(torch1)} | "
                f"{_fmt_ratio(_ratio(torch1, t['one_process']['median']))} |"]
    if "G" in results:
        geo = results["G"]["initviz"]
        out += ["", f"G per distribution: {_kind_times(geo['kinds'])}"
                + (f"; apart, not in the target: {_kind_times(geo['extra'])}" if geo.get("extra") else "") + "."]
    browser = results.get("browser", {})
    if browser.get("pages"):
        out += ["", "| page (Chromium) | app shell | first chart, cold | first chart, warm | redraw after a control "
                "change (median; of which the script; first new chart) | charts | largest chart | all charts |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for page, e in browser["pages"].items():
            if "error" in e:
                out.append(f"| {page} | error: {e['error']} | | | | | | |")
                continue
            out.append(f"| {page} | {_fmt_s(e['shell_median_s'])} | {_fmt_s(e['first_chart_cold_s'])} | "
                       f"{_fmt_s(e['first_chart_median_s'])} | {_fmt_s(e['redraw_median_s'])} (`{e['control']}`; "
                       f"{_fmt_s(e['redraw_phases_median_s']['script'])}; {_fmt_s(e['first_new_chart_median_s'])}) | "
                       f"{e['charts']} | "
                       f"{e['max_chart_bytes'] / 1024:.1f} KB | {e['total_chart_bytes'] / 1024:.1f} KB |")
    elif browser.get("skipped"):
        out += ["", f"Browser: skipped ({browser['skipped']})."]
    out += ["", "| target (issue 5) | measured | bound | status |", "|---|---:|---:|---|"]
    for row in results["verdicts"]:
        note = f" — {row['note']}" if row.get("note") else ""
        out.append(f"| {row['target']}{note} | {_fmt_value(row)} | {_fmt_bound(row)} | {row['status']} |")
    return "\n".join(out) + "\n"


# --- main ---------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_REPEATS} timed calls instead of {FULL_REPEATS}")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measurements")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch notebook")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (numpy) and intra-op threads (torch) for everything measured here; "
                             "default: each library's own (one per core). --threads 1 is steadier on a busy machine")
    parser.add_argument("--draws", type=int, default=None, choices=(1, 2),
                        help="initviz's draw version for W1–W3 (default: the workloads', 2; 1 is numpy's ziggurat, "
                             "the draws before draw versions)")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the JSON results")
    args = parser.parse_args(argv)
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in only if p not in PARTS]
    if unknown:
        parser.error(f"--only: unknown {unknown}; choose from {list(PARTS)}")
    repeats = QUICK_REPEATS if args.quick else FULL_REPEATS
    budget = QUICK_BUDGET_S if args.quick else BUDGET_S

    python, how = (None, "skipped (--no-torch)") if args.no_torch else torch_python()
    results = {"machine": machine(), "repeats": repeats, "quick": args.quick, "torch_python": python,
               "threads": args.threads or "library defaults"}
    worker = None
    if python is not None:
        try:
            worker = TorchWorker(python, args.threads)
            how = (f"torch {worker.hello['torch']} ({worker.hello['threads']} threads, python "
                   f"{worker.hello['python']}) via {python}")
        except TorchError as exc:
            how = f"{python} has torch but its worker failed to start: {exc}"
    results["torch_status"] = how
    print(f"initviz bench: {', '.join(only)}{'' if args.no_browser else ', browser'}; {repeats} timed calls "
          f"after a warm-up; torch: {how}", flush=True)
    with (threadpool_limits(limits=args.threads, user_api="blas") if args.threads else contextlib.nullcontext()):
        results["peaks"] = limits.peak_table(repeats)
        try:
            results["workloads"] = {}
            for name in (n for n in WORKLOADS if n in only):
                w = WORKLOADS[name] if args.draws is None else dataclasses.replace(WORKLOADS[name], draws=args.draws)
                print(f"  {name}: {w.describe()} …", flush=True)
                if worker is not None and not worker.alive:  # e.g. killed for memory: a fresh one
                    worker = TorchWorker(python, args.threads)
                results["workloads"][name] = run_workload(w, worker, repeats, budget, args.threads != 1)
            if GEOMETRY.name in only:
                print(f"  {GEOMETRY.name}: geometry sweep, {GEOMETRY.describe()} …", flush=True)
                if worker is not None and not worker.alive:
                    worker = TorchWorker(python, args.threads)
                results["G"] = run_geometry(GEOMETRY, worker, repeats, budget)
            for key, (label, view) in TRAINING_RESULTS.items() if "training" in only else ():
                print(f"  {key}: {label}, {view.describe()} …", flush=True)
                if worker is not None and not worker.alive:
                    worker = TorchWorker(python, args.threads)
                results[key] = run_training(view, worker, python, repeats, budget)
        finally:
            if worker is not None:
                worker.close()
        if "page" in only:
            print("  page: default Propagation page compute …", flush=True)
            results["page"] = run_page(repeats, budget)
            print("  page_residual: the same view with pre-norm residual blocks …", flush=True)
            results["page_residual"] = run_page(repeats, budget, RESIDUAL_PAGE)
        if "width" in only:
            print("  width: the Width page's default view (coordinate check) …", flush=True)
            results["width"] = run_width(repeats, budget)
            print("  width_transfer: its learning-rate transfer view …", flush=True)
            results["width_transfer"] = run_width(repeats, budget, WIDTH_TRANSFER)
            print("  width_residual: its default view of a pre-norm residual family …", flush=True)
            results["width_residual"] = run_width(repeats, budget, WIDTH_RESIDUAL)
        if "criticality" in only:
            print("  criticality: 41 × 41 phase diagrams of every activation, the page's default view …", flush=True)
            from . import criticality
            results["criticality"] = criticality.run(repeats, budget)
    if not args.no_browser:
        print("  browser: streamlit + Chromium …", flush=True)
        from . import browser
        results["browser"] = browser.measure(quick=args.quick)
    results["machine"]["load_average_end"] = list(os.getloadavg())
    results["verdicts"] = verdicts(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=float))
    command = "make bench" + (f' BENCH_ARGS="{" ".join(argv if argv is not None else sys.argv[1:])}"'
                              if (argv if argv is not None else sys.argv[1:]) else "")
    out.with_suffix(".md").write_text(markdown(results, command))
    print()
    print(report(results))
    print(f"\nresults: {out} (and {out.with_suffix('.md').name}, Markdown for BENCHMARKS.md)")
    failed = any(row["status"] == "FAIL" for row in results["verdicts"])
    return 1 if (args.strict and failed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
