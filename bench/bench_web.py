"""Article page throughput: `healthqa serve` beside nginx serving the same page as a file.

Starts the real server on a free port against --db, saves one article page as a static file
served by a throwaway nginx on another free port, runs wrk against both (same machine, same
run) and prints requests/s, p50/p99 latency and the ratio, for two loads: the same article
again (cached), and a different article on every request, none asked twice (uncached: every
request renders a page the page cache does not hold). Needs wrk and nginx
(`apt-get install -y wrk nginx`). No asserts: it prints figures.

    HEALTHQA_HOME=/tmp/kb python bench/bench_web.py --db /tmp/kb/full.db
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CACHED_TARGET = (5_000, 50)  # req/s, p99 ms: the same article again
UNCACHED_TARGET = (1_000, 100)  # a different article on every request (issue 12)
NGINX_CONF = """
daemon off;
worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    sendfile on;
    keepalive_requests 1000000;
    types {{ text/html html; }}
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;
        location / {{ try_files $uri /page.html; }}
    }}
}}
"""


@dataclass
class Run:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(url: str, seconds: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"no answer from {url} in {seconds:.0f} s")


def wrk(name: str, url: str, args: argparse.Namespace, script: Path | None = None) -> Run:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s"]
    command += ["-s", str(script)] if script else []
    out = subprocess.run([*command, "--latency", url], capture_output=True, text=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50, p99 = (re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out) for p in ("50", "99"))
    total = re.search(r"(\d+) requests in", out)
    errors = ", ".join(re.findall(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", out))
    if not (rate and p50 and p99 and total):
        sys.exit(f"cannot read wrk's output:\n{out}")
    return Run(
        name, float(rate.group(1)), _ms(p50), _ms(p99), int(total.group(1)), errors or "none"
    )


def _workers(n: int) -> str:
    return f"{n} worker{'s' if n > 1 else ''}"


def _ms(match: re.Match[str]) -> float:
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def distinct_articles(base: str, root: Path, skip: str, threads: int) -> tuple[Path, int]:
    """A wrk script that asks for a different article on every request, and how many there
    are: every published article (from the sitemap) but `skip`, shuffled, each wrk thread
    taking its own share. While wrk sends fewer requests than that, no article is asked twice,
    so every request renders a page the page cache does not hold: the first view of an
    article."""
    paths = [p for p in _sitemap_paths(base, f"{base}/sitemap.xml") if p != skip]
    random.Random(0).shuffle(paths)
    lines = ",\n".join(f'  "{p}"' for p in paths)
    script = root / "distinct.lua"
    script.write_text(
        f"paths = {{\n{lines}\n}}\nthreads = {threads}\nstarted = 0\n"
        "setup = function(thread)\n  thread:set('id', started)\n  started = started + 1\nend\n"
        "sent = 0\n"
        "request = function()\n"
        "  local k = (sent * threads + id) % #paths + 1\n  sent = sent + 1\n"
        "  return wrk.format('GET', paths[k])\nend\n"
    )
    return script, len(paths)


def _sitemap_paths(base: str, url: str) -> list[str]:
    """The article paths a sitemap lists, following the sitemaps of a sitemap index."""
    with urllib.request.urlopen(url) as r:
        locs = re.findall(r"<loc>([^<]+)</loc>", r.read().decode())
    paths = []
    for loc in locs:
        if loc.endswith(".xml"):
            paths += _sitemap_paths(base, loc)
        elif loc.startswith(f"{base}/q/"):
            paths.append(loc.removeprefix(base))
    return paths


def worker_memory(pid: int) -> list[float]:
    """Resident memory (MB) of each process under `pid`: the server's workers."""
    found = []
    for child in _children(pid):
        found += worker_memory(child) or [_rss_mb(child)]
    return found


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kb = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(kb.group(1)) / 1024 if kb else 0.0


def start_healthqa(args: argparse.Namespace, port: int, log: Path) -> subprocess.Popen[bytes]:
    healthqa = Path(sys.executable).with_name("healthqa")
    command = [str(healthqa), "--db", args.db, "serve", "--port", str(port)]
    command += ["--workers", str(args.workers)]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=os.environ)


def start_nginx(root: Path, page: bytes, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    (root / "www").mkdir()
    (root / "tmp").mkdir()
    (root / "www" / "page.html").write_bytes(page)
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port, workers=workers))
    root.chmod(0o755)  # nginx's workers run as another user
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    command = [nginx, "-c", str(conf), "-p", str(root)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/page.html"
    try:
        wait_for(url, 10, process)
    except SystemExit:
        process.terminate()
        raise
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/kb/full.db", help="knowledge base (path or URL)")
    parser.add_argument("--question", default="GHR_0000001_Sec1", help="external id to fetch")
    parser.add_argument("--workers", type=int, default=1, help="healthqa worker processes")
    parser.add_argument("--nginx-workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            sys.exit(f"{tool} is missing: apt-get install -y wrk nginx")

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        root = Path(tmp)
        port = free_port()
        started = time.perf_counter()
        server = start_healthqa(args, port, root / "healthqa.log")
        nginx: subprocess.Popen[bytes] | None = None
        try:
            wait_for(f"http://127.0.0.1:{port}/robots.txt", 600, server)
            ready = time.perf_counter() - started
            first = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/q/{args.question}") as r:
                page, url = r.read(), r.url  # follows the redirect to the canonical URL
            cold_ms = (time.perf_counter() - first) * 1000
            nginx, static_url = start_nginx(root, page, args.nginx_workers)
            ours = wrk(f"healthqa, {_workers(args.workers)}, cached", url, args)
            path = "/" + url.split("/", 3)[3]
            base = f"http://127.0.0.1:{port}"
            script, articles = distinct_articles(base, root, path, args.threads)
            cold = wrk(f"healthqa, {_workers(args.workers)}, uncached", url, args, script)
            reference = wrk(f"nginx, {_workers(args.nginx_workers)}, a file", static_url, args)
            memory = worker_memory(server.pid)
        finally:
            for process in (server, nginx):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)

    print(f"article page {path!s:.70} ({len(page):,} bytes)")
    print(f"server ready in {ready:.1f} s; first (uncached) render {cold_ms:.0f} ms")
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, {os.cpu_count()} cores")
    print(f"{'':30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'/ nginx':>8}  {'target':21}  errors")
    for run, target in ((ours, CACHED_TARGET), (cold, UNCACHED_TARGET), (reference, None)):
        ratio = run.requests_per_s / reference.requests_per_s
        goal = f">= {target[0]:,} req/s, p99 <= {target[1]}" if target else ""
        print(
            f"{run.name:30} {run.requests_per_s:9,.0f} {run.p50_ms:8.2f} {run.p99_ms:8.2f}"
            f" {ratio:7.2f}x  {goal:21}  {run.errors}"
        )
    shown = ", ".join(f"{mb:,.0f}" for mb in memory)
    print(f"memory per worker after the runs (resident): {shown} MB")
    repeats = cold.requests > articles
    print(
        f"uncached: {cold.requests:,} requests over {articles:,} distinct articles, each asked "
        + ("more than once: later rounds may be cached" if repeats else "once: none was cached")
    )


if __name__ == "__main__":
    main()
