"""HTTP load benchmark of the portal pages against a minimal view of the same server (issue 11 points 4 and 6).

What it does, every time from scratch:
1. a fresh data folder (and, with --db postgres, a fresh database `zhifa_bench_<pid>` created on the server that
   DATABASE_URL names and dropped at the end) with the demo county loaded as `make run` loads it (`zhifa migrate`,
   `zhifa demo`, `zhifa demo_cases`);
2. --servers real servers (`zhifa run`: waitress plus its background worker) on 127.0.0.1, ports --port, --port+1;
3. the URLs found by following the home page's links (an agency page, its power list, an entry, a search);
4. for each client count of --clients and each URL: --requests requests spread over that many client threads, each
   with keep-alive connections, requests dealt round-robin over the servers; /healthz (a view without database
   work, zhifa.common.views) is the baseline, measured right before each URL (the load of a shared machine drifts
   within a round; with --mix each client alternates the page and /healthz in one block, so both see the same
   load, and req/s is each one's share of the mixed traffic). --runs rounds, each URL in every round.

Reported per URL and client count: req/s, p50/p95/p99 (ms), p95 as a multiple of /healthz's p95 in the same round
(issue 11 point 4: ≤ 5×) measured just before it, errors; the healthz row sums up all its blocks; RSS of each server process (VmRSS and its peak, VmHWM, from /proc) and the load
average before and after.

The load generator is Python threads in this process: on a 2-core machine it competes with the server for CPU, and
what it costs per request is the same for every URL, so it weighs most on the baseline (the ratios are conservative:
a faster client would lower /healthz's p95 more than a page's). `ab` is not used because it is not installed here
and it speaks HTTP/1.0 keep-alive only.

Run: .venv/bin/python bench/http.py [--db sqlite|postgres] [--servers 1] [--clients 10,50] [--requests 300]
     [--runs 3] [--port 8631] [--threads 8] [--only home,search] [--mix]
     [--env ZHIFA_PORTAL_CACHE_ENTRIES=0]
     --db postgres needs DATABASE_URL=postgres://user@host:port/db (the benchmark's own database is created beside it).
"""

from __future__ import annotations

import os
import sys

# This file is named http.py (as issue 11 asks): run as a script, its folder is sys.path[0] and would shadow the
# standard library's `http` package; drop it before importing that.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

import argparse  # noqa: E402
import http.client  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import quote, urlsplit, urlunsplit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "/healthz"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


# ---------------------------------------------------------------------------------------------------------------
# Data and servers
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Setup:
    data_dir: Path
    database_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)  # --env KEY=VALUE for the servers
    admin_url: str | None = None  # PostgreSQL: where the benchmark database was created from
    db_name: str | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("ZHIFA_")}
        env.update(ZHIFA_DATA_DIR=str(self.data_dir), DJANGO_SETTINGS_MODULE="zhifa.settings",
                   PYTHONPATH=str(ROOT))
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env


def zhifa(setup: Setup, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "zhifa.cli", *args], env=setup.env(), cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def create_pg_database(setup: Setup, url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    setup.db_name = f"zhifa_bench_{os.getpid()}"
    setup.admin_url = url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{setup.db_name}"')
    setup.database_url = urlunsplit(parts._replace(path=f"/{setup.db_name}"))


def drop_pg_database(setup: Setup) -> None:
    import psycopg

    if setup.admin_url and setup.db_name:
        with psycopg.connect(setup.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{setup.db_name}" WITH (FORCE)')


def get(port: int, path: str, timeout: float = 30) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def start_server(setup: Setup, port: int, threads: int | None) -> subprocess.Popen[bytes]:
    log = open(setup.data_dir / f"server-{port}.log", "wb")  # noqa: SIM115 - open for the server's lifetime
    cmd = [sys.executable, "-m", "zhifa.cli", "run", "--bind", f"127.0.0.1:{port}"]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, env=setup.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited:\n" + (setup.data_dir / f"server-{port}.log").read_text()[-3000:])
        try:
            if get(port, BASELINE, timeout=2)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    raise SystemExit("server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def discover(port: int, query: str) -> dict[str, str]:
    """The portal URLs to measure, found by following links as a visitor would."""
    status, home = get(port, "/")
    assert status == 200, status
    agencies = re.findall(r'href="(/agency/[0-9a-f-]{36}/)"', home)
    if not agencies:
        raise SystemExit("no agency on the home page: was the demo loaded?")
    agency = agencies[0]
    _status, powers = get(port, agency + "powers/")
    entries = re.findall(r'href="(/entry/[0-9a-f-]{36}/)"', powers)
    if not entries:
        raise SystemExit("no entry on the agency's power list")
    return {
        "healthz": BASELINE,
        "home": "/",
        "agency": agency,
        "agency powers": agency + "powers/",
        "search": "/search/?q=" + quote(query),
        "entry": entries[0],
        "api entries": "/api/v1/public/entries?q=" + quote(query),
    }


# ---------------------------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def load(ports: list[int], paths: list[str], *, clients: int, requests: int) -> list[Result]:
    """`requests` GETs by `clients` threads, each keeping one connection per server open; with several `paths`
    (--mix), the requests take them in turn (each client alternates) and each path gets its own Result."""
    results = [Result() for _ in paths]
    lock = threading.Lock()
    issued = 0
    start_gate = threading.Barrier(clients + 1)

    def client() -> None:
        nonlocal issued
        conns = {p: http.client.HTTPConnection("127.0.0.1", p, timeout=120) for p in ports}
        mine: list[list[float]] = [[] for _ in paths]
        errors = [0 for _ in paths]
        start_gate.wait()
        while True:
            with lock:
                if issued >= requests:
                    break
                ticket = issued
                issued += 1
            which = ticket % len(paths)
            port = ports[(ticket // len(paths)) % len(ports)]
            t0 = time.perf_counter()
            try:
                conns[port].request("GET", paths[which])
                response = conns[port].getresponse()
                response.read()
                if response.status != 200:
                    errors[which] += 1
            except (OSError, http.client.HTTPException):
                errors[which] += 1
                conns[port].close()
                conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            mine[which].append(time.perf_counter() - t0)
        for conn in conns.values():
            conn.close()
        with lock:
            for result, lat, err in zip(results, mine, errors, strict=True):
                result.latencies.extend(lat)
                result.errors += err

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    for result in results:
        result.seconds = time.perf_counter() - t0
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--servers", type=int, default=1)
    ap.add_argument("--clients", default="10,50", help="client counts, comma-separated")
    ap.add_argument("--requests", type=int, default=300, help="requests per URL, client count and round")
    ap.add_argument("--runs", type=int, default=3, help="rounds; every URL is measured in each")
    ap.add_argument("--port", type=int, default=8631, help="first server port (the next ones follow)")
    ap.add_argument("--threads", type=int, default=None, help="waitress threads per server (default ZHIFA_THREADS)")
    ap.add_argument("--query", default="行政处罚", help="search words for the search page and the API")
    ap.add_argument("--only", default="", help="comma-separated URL names to measure (besides healthz)")
    ap.add_argument("--data", default="", help="data folder (default: a new temporary one)")
    ap.add_argument("--mix", action="store_true",
                    help="each client alternates the page and /healthz in one block (req/s then count both)")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="a setting for the servers, e.g. ZHIFA_PORTAL_CACHE_ENTRIES=0 (the portal cache off)")
    args = ap.parse_args()
    clients = [int(c) for c in args.clients.split(",")]

    setup = Setup(Path(args.data or tempfile.mkdtemp(prefix="zhifa-http-bench-")))
    setup.data_dir.mkdir(parents=True, exist_ok=True)
    setup.extra_env = dict(item.split("=", 1) for item in args.env)
    if args.db == "postgres":
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            raise SystemExit("--db postgres needs DATABASE_URL=postgres://user@host:port/database")
        create_pg_database(setup, url)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        t0 = time.perf_counter()
        zhifa(setup, "migrate", "--verbosity", "0")
        zhifa(setup, "demo")
        zhifa(setup, "demo_cases")
        print(f"data: {setup.data_dir} ({args.db}), demo county loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        ports = [args.port + i for i in range(args.servers)]
        procs = [start_server(setup, port, args.threads) for port in ports]
        urls = discover(ports[0], args.query)
        if args.only:
            wanted = {"healthz", *args.only.split(",")}
            urls = {k: v for k, v in urls.items() if k in wanted}
        for port in ports:  # warm-up: every server, every URL (search index, templates, connections)
            for path in urls.values():
                for _ in range(3):
                    status, _body = get(port, path, timeout=600)
                    if status != 200:
                        raise SystemExit(f"{path} answered {status} on port {port}")
        for proc in procs:  # peak RSS from here on, not start-up's
            Path(f"/proc/{proc.pid}/clear_refs").write_text("5")
        print(f"servers: {len(ports)} on ports {ports}, threads per server: {args.threads or 'ZHIFA_THREADS'}, "
              f"settings {setup.extra_env or 'default'}; "
              f"load average before: {loadavg()}")
        print(f"{args.requests} requests per URL, client count and round{', each mixed with as many of /healthz' if args.mix else ''}; {args.runs} rounds\n")

        table: dict[tuple[str, int], list[tuple[Result, float]]] = {}
        for run in range(1, args.runs + 1):
            for c in clients:
                for name, path in urls.items():
                    if name == "healthz":
                        continue
                    if args.mix:  # the page and /healthz in turn in one block: the same load for both
                        r, base = load(ports, [path, BASELINE], clients=c, requests=2 * args.requests)
                    else:  # the baseline right before each URL: the machine's load drifts within a round
                        [base] = load(ports, [BASELINE], clients=c, requests=args.requests)
                        [r] = load(ports, [path], clients=c, requests=args.requests)
                    table.setdefault(("healthz", c), []).append((base, 1.0))
                    ratio = pct(r.latencies, 0.95) / pct(base.latencies, 0.95)
                    table.setdefault((name, c), []).append((r, ratio))
                    print(f"run {run} c={c:<3} {name:<14} {r.rps:8.1f} req/s  p50 {pct(r.latencies, .5) * 1e3:7.1f}"
                          f"  p95 {pct(r.latencies, .95) * 1e3:7.1f}  p99 {pct(r.latencies, .99) * 1e3:7.1f} ms"
                          f"  p95 {ratio:5.1f}× healthz ({pct(base.latencies, .95) * 1e3:.1f} ms,"
                          f" {base.rps:.0f} req/s)  errors {r.errors + base.errors}", flush=True)
            print(f"load average: {loadavg()}")

        print(f"\nsummary over {args.runs} rounds (median [min–max]); db {args.db}, servers {len(ports)}")
        print(f"{'URL':<14} {'c':>3} {'req/s':>22} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p95 ÷ healthz':>22}")
        for (name, c), rows in sorted(table.items(), key=lambda kv: (kv[0][1], list(urls).index(kv[0][0]))):
            rps = sorted(r.rps for r, _ in rows)
            ratios = sorted(x for _, x in rows)
            lat = sorted((pct(r.latencies, .5), pct(r.latencies, .95), pct(r.latencies, .99)) for r, _ in rows)
            p50, p95, p99 = (sorted(v[i] for v in lat)[len(lat) // 2] for i in range(3))
            print(f"{name:<14} {c:>3} {rps[len(rps) // 2]:8.1f} [{rps[0]:5.0f}–{rps[-1]:5.0f}]"
                  f" {p50 * 1e3:8.1f} {p95 * 1e3:8.1f} {p99 * 1e3:8.1f}"
                  f" {ratios[len(ratios) // 2]:8.1f} [{ratios[0]:.1f}–{ratios[-1]:.1f}]")
        for port, proc in zip(ports, procs, strict=True):
            mem = memory_kb(proc.pid)
            print(f"server :{port} RSS {mem['VmRSS'] / 1024:.0f} MiB, peak under load {mem['VmHWM'] / 1024:.0f} MiB")
        print(f"load average after: {loadavg()}")
    finally:
        for proc in procs:
            stop_server(proc)
        if args.db == "postgres":
            drop_pg_database(setup)


if __name__ == "__main__":
    main()
