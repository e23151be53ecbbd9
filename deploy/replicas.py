"""N initviz replicas behind nginx on one machine (issue 18): ``make serve-replicas N=2``.

Starts N ``streamlit run app.py`` servers on free loopback ports, each with the hosted limits
(``INITVIZ_LIMITS=hosted``) and ``INITVIZ_WORKERS`` = :func:`initviz.ui.workers.per_replica` (N
replicas × workers ≤ the cores), waits until each answers ``/_stcore/health``, then runs nginx in
front of them — Debian's ``nginx`` binary with ``deploy/nginx.conf`` filled in a private temporary
directory (its pid file, logs and buffers there; not the system service), in the foreground as a
child of this process. Ctrl-C (or SIGTERM) stops nginx, then every replica and its worker
processes, and removes the directory.

    python -m deploy.replicas [--replicas 2] [--port 8080] [--all-interfaces] [--cores C]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from initviz.ui import workers
from loadtest.server import HOST, Local, Server, free_port, health, start, stop, wait_healthy

TEMPLATE = Path(__file__).with_name("nginx.conf")
NGINX = os.environ.get("INITVIZ_NGINX", "nginx")
"""The nginx binary (Debian: /usr/sbin/nginx, from ``apt-get install nginx``)."""
MAX_FAILS, FAIL_TIMEOUT_S = 1, 10
"""Passive health check: a replica that fails once (connection refused or timed out) is left out for
10 s; nginx then tries it again with the next request."""
START_TIMEOUT_S = 15.0


def nginx_binary() -> str | None:
    """Path of the nginx binary, or None. /usr/sbin is not on every user's PATH."""
    return shutil.which(NGINX) or shutil.which(NGINX, path="/usr/sbin:/usr/local/sbin")


def nginx_config(prefix: Path, listen: str, ports: list[int]) -> str:
    """``deploy/nginx.conf`` for replicas on ``ports`` of 127.0.0.1, listening on ``listen``."""
    servers = "\n".join(f"        server {HOST}:{port} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT_S}s;"
                        for port in ports)
    text = TEMPLATE.read_text()
    for field, value in (("@PREFIX@", str(prefix)), ("@LISTEN@", listen), ("@SERVERS@", servers)):
        text = text.replace(field, value)
    return text


@dataclass
class Balancer(Local):
    """nginx on ``port`` in front of ``replicas``; its files in ``prefix``."""

    proc: subprocess.Popen
    prefix: Path
    replicas: list[Server]
    workers: int
    """``INITVIZ_WORKERS`` of each replica."""

    def upstream(self, replica: Server) -> str:
        """How nginx names ``replica`` in its ``X-Initviz-Upstream`` header."""
        return f"{HOST}:{replica.port}"

    def log_text(self) -> str:
        """nginx's error log (its stderr)."""
        return (self.prefix / "nginx.log").read_text(errors="replace")


@contextlib.contextmanager
def serve_replicas(replicas: int, port: int | None = None, all_interfaces: bool = False,
                   cores: int | None = None) -> Iterator[Balancer]:
    """Run ``replicas`` app servers and nginx in front of them until the block ends; nginx listens on
    ``port`` of 127.0.0.1, or of every interface (``all_interfaces``: other machines reach it)."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError(f"no nginx ({NGINX}) found: apt-get install -y nginx")
    cores = cores or len(os.sched_getaffinity(0))
    per = workers.per_replica(replicas, cores)
    env = {"INITVIZ_LIMITS": "hosted", workers.SETTING: str(per), "OPENBLAS_NUM_THREADS": "1"}
    port = port or free_port()
    prefix = Path(tempfile.mkdtemp(prefix="initviz-nginx-"))
    prefix.chmod(0o711)  # run as root, nginx's workers (user nobody) reach their buffer directories here
    servers: list[Server] = []
    nginx = None
    try:
        servers = [start(log=prefix / f"replica-{i}.log", env=env) for i in range(replicas)]
        for server in servers:  # started together, waited for in turn
            wait_healthy(server)
        conf = prefix / "nginx.conf"
        listen = f"{'0.0.0.0' if all_interfaces else HOST}:{port}"
        conf.write_text(nginx_config(prefix, listen, [s.port for s in servers]))
        with open(prefix / "nginx.log", "w") as log:
            # its own session: a terminal's Ctrl-C reaches this script, which stops nginx, not nginx first
            nginx = subprocess.Popen([binary, "-p", str(prefix), "-c", str(conf), "-e", "stderr"],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        balancer = Balancer(port, nginx, prefix, servers, per)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not health(balancer.base, timeout=2.0)[1]:
            if nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {balancer.log_text()[-2000:]}")
            time.sleep(0.1)
        yield balancer
    finally:
        if nginx is not None:
            stop(nginx, timeout=5.0)
        for server in servers:
            stop(server.proc)
        shutil.rmtree(prefix, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080, help="nginx's port")
    parser.add_argument("--all-interfaces", action="store_true", help="nginx listens on every interface, "
                        "not only 127.0.0.1 (other machines reach it)")
    parser.add_argument("--cores", type=int, help="cores the replicas share (default: this process's)")
    args = parser.parse_args()
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly, as on Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started in the background
    with serve_replicas(args.replicas, args.port, args.all_interfaces, args.cores) as balancer:
        total = balancer.workers * args.replicas
        print(f"initviz: {args.replicas} replica(s) on ports {', '.join(str(s.port) for s in balancer.replicas)} "
              f"(hosted limits, INITVIZ_WORKERS={balancer.workers} each, {total} workers in all), nginx at "
              f"{balancer.base}{' (all interfaces)' if args.all_interfaces else ''}  — Ctrl-C stops them all; files in {balancer.prefix}",
              flush=True)
        try:
            while balancer.proc.poll() is None:
                time.sleep(0.5)
            print(f"nginx exited ({balancer.proc.returncode}): {balancer.log_text()[-2000:]}", file=sys.stderr)
            sys.exit(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
