"""The app under test: ``streamlit run app.py`` on 127.0.0.1 and a free port, with its log kept.

:func:`serve` starts the server with the project's own settings (``.streamlit/config.toml``;
only headless, the port, the address and the file watcher are set on the command line), waits
until ``/_stcore/health`` answers ``ok`` and yields a :class:`Server`: its URLs, its process (for
the resident memory) and its log (for tracebacks the server wrote). The server is stopped on exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
HEALTH_POLL_S = 0.1
"""Polling interval of the health endpoint while the server starts."""
START_ATTEMPTS = 3
"""Servers :func:`serve` starts before it gives up (each on a fresh free port)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def health(base: str, timeout: float = 5.0) -> tuple[float, bool]:
    """Seconds for one ``GET base/_stcore/health`` and whether it answered ``ok`` (a server, or a
    load balancer in front of servers)."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=timeout) as r:
            ok = r.read().decode().strip() == "ok"
    except OSError:
        ok = False
    return time.perf_counter() - start, ok


@dataclass
class Local:
    """The app served on ``port`` of 127.0.0.1: by a server, or by a load balancer in front of servers."""

    port: int

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def stream_url(self) -> str:
        """The websocket every browser tab talks to."""
        return f"ws://{HOST}:{self.port}/_stcore/stream"


@dataclass
class Server(Local):
    proc: subprocess.Popen
    log: Path

    def health(self, timeout: float = 5.0) -> tuple[float, bool]:
        """Seconds for one ``GET /_stcore/health`` and whether it answered ``ok``."""
        return health(self.base, timeout)

    def rss_bytes(self) -> int:
        """Resident memory of the server and of every process it started (its compute workers):
        the sum of their ``VmRSS`` (/proc/<pid>/status)."""
        return sum(_rss(pid) for pid in _family(self.proc.pid))

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and every process it started."""
        return sum(_cpu(pid) for pid in _family(self.proc.pid))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:  # gone meanwhile
        return {}
    return dict(line.split(":", 1) for line in lines if ":" in line)


def _rss(pid: int) -> int:
    value = _status(pid).get("VmRSS")
    return int(value.split()[0]) * 1024 if value else 0


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _family(root: int) -> list[int]:
    """``root`` and all its descendants (from each process's ``PPid``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _status(int(entry.name)).get("PPid")
            if parent:
                children.setdefault(int(parent), []).append(int(entry.name))
    family, todo = [], [root]
    while todo:
        pid = todo.pop()
        family.append(pid)
        todo += children.get(pid, [])
    return family


def start(log: Path | None = None, flags: tuple[str, ...] = (), env: dict[str, str] | None = None) -> Server:
    """Start ``streamlit run app.py`` on a free port, without waiting for it (:func:`wait_healthy`);
    ``log`` keeps its output (default: a temp file), ``flags`` are more ``streamlit run`` options, ``env``
    more environment variables (e.g. ``INITVIZ_WORKERS``)."""
    port = free_port()
    if log is None:
        log = Path(tempfile.mkstemp(prefix="initviz-streamlit-", suffix=".log")[1])
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
           "--server.address", HOST, "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           *flags]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    return Server(port, proc, log)


def wait_healthy(server: Server) -> None:
    """Poll ``/_stcore/health`` until it answers ``ok``; RuntimeError if the server exits or takes
    longer than ``START_TIMEOUT_S``."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.health(timeout=2.0)[1]:
        if server.proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.proc.returncode}; log: {server.log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"streamlit not healthy after {START_TIMEOUT_S:.0f} s; log: {server.log}")
        time.sleep(HEALTH_POLL_S)


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate ``proc`` (killed if it has not exited within ``timeout`` s), then any of the processes
    it had started (its compute workers) that outlived it."""
    family = _family(proc.pid)[1:] if proc.poll() is None else []
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def serve(log: Path | None = None, flags: tuple[str, ...] = (), env: dict[str, str] | None = None) -> Iterator[Server]:
    """Run the app until the block ends (:func:`start`, :func:`wait_healthy`, :func:`stop`). A server
    that exits while starting is started again on another port, up to ``START_ATTEMPTS`` times: the
    free port :func:`free_port` found may be taken by another process before Streamlit binds it
    (parallel test workers start servers at the same time)."""
    for attempt in range(1, START_ATTEMPTS + 1):
        server = start(log, flags, env)
        try:
            wait_healthy(server)
            break
        except RuntimeError:
            exited = server.proc.poll() is not None  # not a timeout: it could not start (e.g. its port)
            stop(server.proc)
            if not exited or attempt == START_ATTEMPTS:
                raise
    try:
        yield server
    finally:
        stop(server.proc)
