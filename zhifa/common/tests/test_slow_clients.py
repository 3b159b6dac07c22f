"""Slow clients do not stop the server (issue 9 defect 6; reliability.md LD-1's latency bar; ADR 0019).

A real `zhifa run` (waitress) on a loopback port of this suite's range over a fresh data folder. Fifty anonymous
connections each send a login POST to /accounts/login/ one byte per second (a slowloris); meanwhile a normal client
loads a normal page (the login form) again and again: p95 of its latency stays under 1 s, every answer is a 200,
and the slow connections are still open at the end (the server held them without giving them a thread).

Before ADR 0019, `zhifa run` was gunicorn with 2 workers x 4 threads: ten such clients took every thread.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]
PORTS = range(8140, 8150)  # this suite's loopback ports
SLOW_CLIENTS = 50
MEASURE_SECONDS = 20
START_DEADLINE = 240  # migrate + checkpoint + collectstatic on a busy two-core machine


def _port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8140-8149")


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("ZHIFA_")}
    env.update(ZHIFA_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="zhifa.settings", PYTHONUNBUFFERED="1",
               PYTHONPATH=str(PROJECT))
    return env


def _get(port: int, path: str, timeout: float = 10.0) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        conn.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    port = _port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhifa.cli", "run", "--no-demo", "--bind", f"127.0.0.1:{port}"],
        env=_env(tmp_path / "data"), cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "server did not start"
            try:
                if _get(port, "/accounts/login/", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        yield port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        log.close()


def _slowloris(port: int, stop: threading.Event, opened: list[socket.socket]) -> None:
    """Open SLOW_CLIENTS connections and send each one byte of a login POST per second until `stop`."""
    body = "username=nobody&password=" + "x" * 400
    request = (f"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
    for _ in range(SLOW_CLIENTS):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        opened.append(s)
    sent = 0
    while not stop.is_set() and sent < len(request):
        for s in list(opened):
            try:
                s.send(request[sent:sent + 1])
            except OSError:
                opened.remove(s)
        sent += 1
        stop.wait(1.0)


@pytest.mark.slow
def test_fifty_slow_clients_do_not_delay_a_normal_page(server: int) -> None:
    port = server
    for _ in range(3):  # warm up: first requests load templates and the database connection
        _get(port, "/accounts/login/")
    stop = threading.Event()
    opened: list[socket.socket] = []
    attacker = threading.Thread(target=_slowloris, args=(port, stop, opened), daemon=True)
    attacker.start()
    try:
        time.sleep(3)  # every slow connection is open and has started its request
        assert len(opened) == SLOW_CLIENTS
        latencies, statuses = [], []
        end = time.monotonic() + MEASURE_SECONDS
        while time.monotonic() < end:
            try:
                status, seconds = _get(port, "/accounts/login/", timeout=10)
            except OSError:
                status, seconds = 0, 10.0
            statuses.append(status)
            latencies.append(seconds)
            time.sleep(0.2)
        still_open = len(opened)
    finally:
        stop.set()
        attacker.join(timeout=5)
        for s in opened:
            s.close()
    p95 = statistics.quantiles(latencies, n=20)[-1]
    figures = (f"slow clients: {SLOW_CLIENTS}, requests: {len(latencies)}, median "
               f"{statistics.median(latencies):.3f} s, p95 {p95:.3f} s, max {max(latencies):.3f} s")
    sys.stdout.write(figures + "\n")  # shown with -s
    assert set(statuses) == {200}, (statuses, figures)
    assert p95 < 1.0, figures
    assert still_open >= SLOW_CLIENTS * 0.9, f"the server dropped the slow clients early ({still_open} left)"
