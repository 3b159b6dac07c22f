"""Case page throughput vs a logged-in minimal view, in one server, in one run (issue 11 point 3).

Bar: "case page throughput at 10 clients >= 50 % of a logged-in minimal view's in the same server".

* A real server: `zhifa run --demo --no-worker` (waitress, one process, ZHIFA_THREADS threads) on 127.0.0.1:--port
  over a fresh temporary data folder (SQLite, WAL, synchronous=FULL), unless --base-url names a running one.
* The client signs in through the login form as a demo officer and takes one case of the officer's agency from the
  case list. Each of --clients threads keeps one persistent HTTP/1.1 connection (as `ab -k`) and sends GETs with the
  session cookie, nothing else (no think time), --requests in all per measurement.
* Measured, interleaved, --runs times: the minimal view (`/accounts/ping/`: the same middleware and login check as
  every staff page, no data, no write) and the case page (`/staff/cases/<id>/`: the case, its parties, deadlines,
  documents, evidence, timeline, review rounds, and one 调阅 ledger entry made durable before the page is sent).
  Reported per run: req/s, p50/p95/p99 latency, and case req/s / minimal req/s.
* The client runs in this process (Python threads) on the same machine: it costs the two sides alike.
* Then, with the server stopped, the 调阅 append alone on the same database file (`--access-only` in a child
  process): --clients threads each call `record_access` --access-reads times, (a) through the group commit (ADR
  0035) and (b) each in its own transaction as before (`record_access` inside `transaction.atomic()`, which appends
  in that transaction), interleaved --runs times: appends/s and the batches the group made.

Run: PYTHONPATH=$PWD .venv/bin/python bench/case_page.py [--clients 10] [--requests 2000] [--runs 3] [--port 8621]
"""

from __future__ import annotations

import os
import sys

# bench/http.py sits beside this script: run as a script, this folder is sys.path[0], and that file would shadow the
# standard library's `http` package; drop the folder before importing it.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

import argparse  # noqa: E402
import http.client  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode, urlsplit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OFFICER = "linxiang.officer"  # an officer of 临湘市水利局, which has demo cases
DEMO_PASSWORD = "zhifa-demo-2026"  # the demo county's public password (zhifa.registry.demo)
MINIMAL = "/accounts/ping/"


def server_env(data_dir: Path, threads: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("ZHIFA_")}
    env.update(ZHIFA_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="zhifa.settings",
               ZHIFA_LOGIN_DELAY_SECONDS="0", PYTHONPATH=str(ROOT))
    if threads:
        env["ZHIFA_THREADS"] = str(threads)
    return env


def start_server(data_dir: Path, port: int, threads: int | None) -> subprocess.Popen[bytes]:
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - kept open for the server's lifetime
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhifa.cli", "run", "--demo", "--no-worker", "--bind", f"127.0.0.1:{port}"],
        env=server_env(data_dir, threads), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited:\n" + (data_dir / "server.log").read_text(errors="replace")[-3000:])
        try:
            status, _headers, _body = get(port, "/accounts/login/")
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.5)
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


def get(port: int, path: str, cookies: dict[str, str] | None = None, method: str = "GET",
        body: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode(errors="replace")
    finally:
        conn.close()


def cookies_from(headers: http.client.HTTPMessage, into: dict[str, str]) -> None:
    for value in headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        into[name.strip()] = rest.split(";", 1)[0]


def login(port: int, username: str = OFFICER, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """The cookies of a session signed in through the login form."""
    jar: dict[str, str] = {}
    _status, headers, _body = get(port, "/accounts/login/")
    cookies_from(headers, jar)
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": jar["csrftoken"]})
    status, headers, body = get(port, "/accounts/login/", jar, method="POST", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{port}/accounts/login/"})
    if status != 302:
        raise SystemExit(f"login failed: {status} {body[:300]}")
    cookies_from(headers, jar)
    return jar


def a_case_path(port: int, jar: dict[str, str]) -> str:
    status, _headers, body = get(port, "/staff/cases/", jar)
    found = re.search(r'/staff/cases/([0-9a-f-]{36})/', body)
    if status != 200 or not found:
        raise SystemExit(f"no case in the officer's case list ({status})")
    return f"/staff/cases/{found.group(1)}/"


def load(port: int, path: str, jar: dict[str, str], *, clients: int, requests: int) -> dict[str, float]:
    """`requests` GETs of `path` from `clients` threads, each on one persistent connection."""
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    left = [requests]

    def take() -> bool:
        with lock:
            if left[0] <= 0:
                return False
            left[0] -= 1
            return True

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        bad = 0
        while take():
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            failures.append(bad)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    return {"rps": len(ordered) / wall, "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "mean": statistics.fmean(ordered) * 1000, "failed": sum(failures)}


ACCESS_BENCH = """
import sys, threading, time
import django
django.setup()
from django.db import connection, transaction
from zhifa.accounts.models import User
from zhifa.records import access, group_commit

clients, reads, runs = (int(a) for a in sys.argv[1:4])
user = User.objects.get(username=sys.argv[4])


def burst(grouped):
    group_commit.group = group_commit.GroupCommit()
    start = threading.Barrier(clients)

    def client(i):
        start.wait()
        for n in range(reads):
            if grouped:
                access.record_access(user=user, agency_id=user.agency_id, object_kind="case", object_id="bench",
                                     action="bench")
            else:
                with transaction.atomic():
                    access.record_access(user=user, agency_id=user.agency_id, object_kind="case",
                                         object_id="bench", action="bench")
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return clients * reads / (time.perf_counter() - began), group_commit.group.batches


for run in range(1, runs + 1):
    own, _ = burst(False)
    grouped, batches = burst(True)
    print(f"run {run} 调阅 appends, {clients} threads: own transaction each {own:7.0f}/s   group commit "
          f"{grouped:7.0f}/s in {batches} batches ({clients * reads / max(batches, 1):.1f} per batch)   "
          f"ratio {grouped / own:.2f}")
"""


def access_only(data_dir: Path, clients: int, reads: int, runs: int) -> None:
    env = server_env(data_dir, None)
    subprocess.run([sys.executable, "-c", ACCESS_BENCH, str(clients), str(reads), str(runs), OFFICER], env=env, cwd=ROOT,
                   check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement (default 2000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8621)
    parser.add_argument("--threads", type=int, default=None, help="server threads (default: ZHIFA_THREADS or 8)")
    parser.add_argument("--base-url", default="", help="use this running server (http://127.0.0.1:PORT) instead")
    parser.add_argument("--access-reads", type=int, default=200, help="record_access calls per thread (0: skip)")
    parser.add_argument("--access-only", default="", metavar="DATA_DIR",
                        help="only the 调阅 append part, on this data folder (a stopped server's)")
    args = parser.parse_args()

    if args.access_only:
        access_only(Path(args.access_only), args.clients, args.access_reads, args.runs)
        return
    proc = None
    tmp = None
    port = args.port
    if args.base_url:
        port = urlsplit(args.base_url).port or 80
    else:
        tmp = Path(tempfile.mkdtemp(prefix="case-page-bench-"))
        began = time.monotonic()
        proc = start_server(tmp, port, args.threads)
        print(f"server ready on 127.0.0.1:{port} in {time.monotonic() - began:.0f} s (demo county, SQLite)")
    try:
        jar = login(port)
        case = a_case_path(port, jar)
        for path in (MINIMAL, case):  # warm-up: every module and template loaded, connections open
            load(port, path, jar, clients=args.clients, requests=max(50, args.requests // 20))
        print(f"clients {args.clients}, {args.requests} requests per measurement; load average "
              f"{open('/proc/loadavg').read().split()[:3]}")
        ratios = []
        for run in range(1, args.runs + 1):
            minimal = load(port, MINIMAL, jar, clients=args.clients, requests=args.requests)
            page = load(port, case, jar, clients=args.clients, requests=args.requests)
            ratio = page["rps"] / minimal["rps"]
            ratios.append(ratio)
            for name, r in (("minimal view", minimal), ("case page", page)):
                print(f"run {run} {name:12s} {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
                      f"p99 {r['p99']:6.1f} ms  failed {r['failed']:.0f}")
            print(f"run {run} ratio case/minimal {ratio:.2f}  (target >= 0.50)  load average "
                  f"{open('/proc/loadavg').read().split()[:3]}")
        print(f"ratio over {args.runs} runs: {min(ratios):.2f}–{max(ratios):.2f} (median {statistics.median(ratios):.2f})")
        if proc is not None and tmp is not None and args.access_reads:
            stop_server(proc)
            access_only(tmp, args.clients, args.access_reads, args.runs)
    finally:
        if proc is not None:
            stop_server(proc)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
