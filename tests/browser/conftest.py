"""A real ``streamlit run app.py`` and Debian's Chromium, driven by Playwright's sync API.

* The server is started once per session on a free port; the fixture polls ``/_stcore/health``.
* Pages are "ready" when ``[data-testid=stApp][data-test-script-state=notRunning]`` holds and the
  expected content is there — never after a fixed sleep.
* No Chromium (or no playwright) on a developer's machine: the browser tests are skipped with the
  reason. With ``CI=true`` they fail instead (``.ci/run`` installs Chromium first).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from loadtest.server import serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("INITVIZ_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGE_TIMEOUT_MS = 90_000
"""Longest wait for a page's script run and first charts (two shared cores, a cold cache)."""
VIEWPORT = {"width": 1400, "height": 1100}


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run in CI, but {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


def _serve(name: str, env: dict | None = None):
    """Base URL of a fresh ``streamlit run app.py`` (headless, no usage stats, no file watcher),
    started by the load test's :func:`loadtest.server.serve` with ``env`` added to its environment
    (its log in ``.pytest_cache``, named after ``name`` and the test worker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # one server per test worker (pytest-xdist)
    log = (ROOT / ".pytest_cache" / f"{name}{'-' + worker if worker else ''}.log"
           if (ROOT / ".pytest_cache").is_dir() else None)
    try:
        with serve(log=log, env=env) as running:
            yield running.base
    except RuntimeError as err:
        pytest.fail(f"the app did not start: {err}")


@pytest.fixture(scope="session")
def server():
    """A server with the hosted limits (the default deployment setting)."""
    yield from _serve("streamlit-browser")


@pytest.fixture(scope="session")
def local_server():
    """A server with the local limits (``INITVIZ_LIMITS=local``, as ``make run``): long views compute."""
    yield from _serve("streamlit-browser-local", {"INITVIZ_LIMITS": "local"})


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        except Exception as err:  # a broken install: say why
            _unavailable(f"Chromium at {CHROMIUM} does not start: {err}")
        yield chromium
        chromium.close()


def _tab(browser, base: str):
    """A fresh browser context (new Streamlit session) with downloads enabled, on the app at ``base``."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    tab = context.new_page()
    tab.base = base
    yield tab
    context.close()


@pytest.fixture
def page(browser, server):
    """A tab on the hosted-limits server."""
    yield from _tab(browser, server)


@pytest.fixture
def local_page(browser, local_server):
    """A tab on the local-limits server."""
    yield from _tab(browser, local_server)
