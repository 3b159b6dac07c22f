"""LD-1 (reduced): mixed read/write load on a real `zhifa run` (waitress) vs a single user, in the same run.

reliability.md LD-1 asks for 40 users over 10 minutes, 70% case detail, 20% list/search, 10% writes: p95 of reads
< 500 ms, p99 < 1.5 s, zero 5xx, and as many 调阅 entries as 200 detail answers. This script runs that mix with
`--users` threads for `--seconds` (defaults sized for a shared two-core machine; `--users 40 --seconds 600` is the
full test) after a single-user baseline of the same mix, and prints per-class percentiles, the ratio of p95 under
load to the baseline's, 5xx count and the 调阅 reconciliation.

* Server: `zhifa run --no-demo` on a free loopback port over a fresh data folder (SQLite); a setup step makes an
  agency with 20 penalty cases and a user (officer + agency administrator) with an API token.
* Detail: GET /api/v1/cases/{id} (writes a 调阅 entry); list: GET /api/v1/cases/?q=… ; write: POST
  /api/v1/registry/unit (a ledger append in the same transaction).
* Clients are Python threads on the same two cores as the server: figures are regression baselines, not capacity.

Run: .venv/bin/python bench/ld1.py [--users 10] [--seconds 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
SETUP = """
import json
from zhifa.accounts.services import api_token_create
from zhifa.cases.engine import today_in_china
from zhifa.cases.testing import make_case_world, new_penalty_case
from zhifa.registry.testing import make_personas, make_user
p = make_personas("L")
w = make_case_world(p)
t = today_in_china()
ids = [str(new_penalty_case(w, day=t, act_date=t, discovered_on=t).public_id) for _ in range(20)]
u = make_user(p.agency, "officer", "agency_admin", username="ld1.user")
print(json.dumps({"token": api_token_create(user=u, name="ld1")[1], "cases": ids}))
"""
COUNT = """
from zhifa.records.models import LedgerEntry
print(LedgerEntry.objects.filter(kind="access.read").count())
"""


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("ZHIFA_")}
    env.update(ZHIFA_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="zhifa.settings", PYTHONPATH=str(ROOT))
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shell(data_dir: Path, code: str) -> str:
    done = subprocess.run([sys.executable, "-m", "zhifa.cli", "shell", "-c", code], env=server_env(data_dir),
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]


def call(port: int, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, time.perf_counter() - started


def one(port: int, token: str, cases: list[str], rng: random.Random) -> tuple[str, int, float]:
    r = rng.random()
    if r < 0.7:
        return ("detail", *call(port, "GET", f"/api/v1/cases/{rng.choice(cases)}", token))
    if r < 0.9:
        q = rng.choice(["", "采砂", "张三", "河道"])
        return ("list", *call(port, "GET", f"/api/v1/cases/?{urlencode({'q': q, 'limit': 20})}", token))
    return ("write", *call(port, "POST", "/api/v1/registry/unit", token, {"name": f"科室{uuid.uuid4().hex[:12]}"}))


def run(port: int, token: str, cases: list[str], users: int, seconds: float) -> list[tuple[str, int, float]]:
    results: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def user(n: int) -> None:
        rng = random.Random(n)
        mine = []
        while time.monotonic() < end:
            mine.append(one(port, token, cases, rng))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def report(label: str, results: list[tuple[str, int, float]], seconds: float) -> dict[str, float]:
    out = {}
    print(f"{label}: {len(results)} requests in {seconds:.0f} s ({len(results) / seconds:.1f}/s), "
          f"5xx or failed: {sum(1 for _, s, _ in results if s >= 500 or s == 0)}")
    for kind in ("detail", "list", "write"):
        times = [t for k, _, t in results if k == kind]
        if times:
            out[kind] = pct(times, 0.95)
            print(f"  {kind:6} n={len(times):5}  p50 {statistics.median(times) * 1000:7.1f} ms  "
                  f"p95 {pct(times, 0.95) * 1000:7.1f} ms  p99 {pct(times, 0.99) * 1000:7.1f} ms")
    reads = [t for k, _, t in results if k != "write"]
    out["reads"] = pct(reads, 0.95)
    out["reads99"] = pct(reads, 0.99)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zhifa-ld1-"))
    data_dir = work / "data"
    port = free_port()
    log = open(work / "server.log", "wb")  # noqa: SIM115 - closed at the end
    proc = subprocess.Popen([sys.executable, "-m", "zhifa.cli", "run", "--no-demo", "--bind", f"127.0.0.1:{port}"],
                            env=server_env(data_dir), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while call(port, "GET", "/api/v1/public/agencies", "")[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("server did not start:\n" + (work / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        setup = json.loads(shell(data_dir, SETUP))
        token, cases = setup["token"], setup["cases"]
        run(port, token, cases, 1, 3)  # warm-up
        before = int(shell(data_dir, COUNT))
        base = run(port, token, cases, 1, args.baseline_seconds)
        b = report("baseline, 1 user", base, args.baseline_seconds)
        load = run(port, token, cases, args.users, args.seconds)
        m = report(f"load, {args.users} users", load, args.seconds)
        after = int(shell(data_dir, COUNT))
        details = sum(1 for k, s, _ in base + load if k == "detail" and s == 200)
        print(f"p95 ratio load/baseline: detail {m['detail'] / b['detail']:.2f}, list {m['list'] / b['list']:.2f}, "
              f"write {m['write'] / b['write']:.2f}; reads p95 {m['reads'] * 1000:.0f} ms (target < 500), "
              f"p99 {m['reads99'] * 1000:.0f} ms (target < 1500)")
        print(f"调阅 entries written during the runs: {after - before}; 200 detail answers: {details}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
