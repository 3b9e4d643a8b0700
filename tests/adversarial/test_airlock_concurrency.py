"""Many users and processes at once: a server, CLI commands and runs on one output root, two servers, three
runs of one request, a run that meets a locked store, a password guesser (issue: the airlock holds)."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from adversarial.airlock_world import make_world, sign_in
from starlette.testclient import TestClient

from builders import PASSWORD
from conftest import run_env
from extractor.release.store import opened
from extractor.release.verify import verify_store
from extractor.web.app import create_app


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True,
                          env={**run_env(), "EXTRACTOR_PASSWORD": PASSWORD, **env}, timeout=300)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(out: Path, released: Path) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "extractor.cli", "serve", "--out", str(out), "--to", str(released),
                             "--port", str(port)], env=run_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(base + "/login", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError(proc.stderr.read().decode())


def browser(base: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"user": user, "password": PASSWORD, "login_csrf": token}).status_code == 303
    return client


@pytest.fixture()
def world(tmp_path: Path):
    return make_world(tmp_path)


def test_a_server_cli_commands_and_runs_share_one_output_root(world, tmp_path: Path) -> None:
    proc, base = serve(world.out, world.released)
    statuses: list[int] = []
    stop = threading.Event()

    def browse(user: str) -> None:
        client = browser(base, user)
        while not stop.is_set():
            for path in ("/", f"/runs/{world.runs['T-1']}", "/audit"):
                statuses.append(client.get(path).status_code)

    threads = [threading.Thread(target=browse, args=(u,)) for u in ("alice", "bob", "dora")]
    for t in threads:
        t.start()
    try:
        request = world.folder / "world-T-1" / "request.toml"
        done = [cli("review", "status", world.runs["T-1"], "--as", "alice", "--out", str(world.out)),
                cli("review", "decide", world.runs["T-1"], "--decision", "approve", "--as", "alice",
                    "--out", str(world.out)),
                cli("run", str(request), "--out", str(world.out)),
                cli("audit", "verify", "--out", str(world.out)),
                cli("users", "list", "--out", str(world.out)),
                cli("review", "decide", world.runs["T-1"], "--decision", "approve", "--as", "bob",
                    "--out", str(world.out))]
    finally:
        stop.set()
        for t in threads:
            t.join()
        proc.terminate()
        proc.wait(10)
    assert [d.returncode for d in done] == [0] * len(done), [d.stderr for d in done]
    assert statuses and set(statuses) <= {200, 403}, sorted(set(statuses))  # 403: none; but never 500
    assert 500 not in statuses
    with opened(world.out) as store:
        assert store.reading().run(world.runs["T-1"]).status == "approved"
    verify_store(world.out)


def test_two_servers_on_one_output_root(world) -> None:
    (p1, b1), (p2, b2) = serve(world.out, world.released), serve(world.out, world.released)
    try:
        clients = [browser(b, u) for b, u in ((b1, "alice"), (b2, "bob"))]
        codes = [c.get(path).status_code for _ in range(40) for c in clients
                 for path in ("/", f"/runs/{world.runs['T-1']}", "/audit")]
        decided = [clients[0].post(f"/runs/{world.runs['OTHER']}/decide", data={
            "decision": "approve", "csrf": re.search(r'name="csrf" value="([^"]+)"', clients[0].get("/").text)[1]})]
    finally:
        for p in (p1, p2):
            p.terminate()
            p.wait(10)
    assert len(codes) == 240 and set(codes) == {200}
    assert decided[0].status_code == 303


def test_a_run_that_meets_a_locked_store_publishes_nothing(world) -> None:
    before = sorted(p.name for p in (world.out / "T-1").iterdir())
    holder = sqlite3.connect(world.out / ".extractor" / "state.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the writer lock for longer than the run waits
    try:
        result = cli("run", str(world.folder / "world-T-1" / "request.toml"), "--out", str(world.out),
                     EXTRACTOR_STATE_BUSY_SECONDS="1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2 and "database is locked" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in (world.out / "T-1").iterdir()) == before  # no folder, latest unchanged
    verify_store(world.out)


def test_three_runs_of_one_request_at_once_keep_their_own_staging(world) -> None:
    request = str(world.folder / "world-T-1" / "request.toml")
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: cli("run", request, "--out", str(world.out)), range(3)))
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    # the project's first run plus these three (the other project's request has an id, and a folder, of its own)
    folders = [p for p in (world.out / "T-1").iterdir() if not p.name.startswith(".") and p.name != "latest"]
    assert len(folders) == 4 and not list((world.out / "T-1").glob(".staging-*"))
    with opened(world.out) as store:
        assert sum(r.project == "T-1" for r in store.reading().runs.values()) == 4
    verify_store(world.out)


def test_password_guessing_is_throttled_per_account_and_per_address(world) -> None:
    client = world.client()
    codes = []
    for _ in range(150):
        token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)
        codes.append(client.post("/login", data={"user": "alice", "password": "wrong guess!!",
                                                 "login_csrf": token}).status_code)
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)
    locked = client.post("/login", data={"user": "alice", "password": PASSWORD, "login_csrf": token})
    assert locked.status_code == 429 and "Try again in" in locked.text
    elsewhere = TestClient(client.app, follow_redirects=False, client=("10.1.2.3", 4000))
    token = re.search(r'name="login_csrf" value="([^"]+)"', elsewhere.get("/login").text).group(1)
    assert elsewhere.post("/login", data={"user": "alice", "password": PASSWORD, "login_csrf": token}
                          ).status_code == 429  # the account is locked from every address
    assert sign_in(TestClient(client.app, follow_redirects=False, client=("10.1.2.4", 4000)), "bob")


def test_password_hashing_does_not_hold_up_other_users(world) -> None:
    import uvicorn

    settings = world.settings(failures_allowed=10_000)  # every guess is hashed: the worst case for the server
    port = _port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    try:
        reader = browser(base, "dora")
        quiet = [_timed(reader, "/") for _ in range(20)]

        def guess(_: int) -> int:
            with httpx.Client(base_url=base, timeout=60) as c:
                token = re.search(r'name="login_csrf" value="([^"]+)"', c.get("/login").text).group(1)
                return c.post("/login", data={"user": "alice", "password": "nope nope nope",
                                              "login_csrf": token}).status_code

        with ThreadPoolExecutor(8) as pool:
            guesses = pool.map(guess, range(64))
            busy = [_timed(reader, "/") for _ in range(20)]
            assert set(guesses) == {401}
    finally:
        server.should_exit = True
        thread.join(10)
    assert statistics.median(busy) < max(0.5, 10 * statistics.median(quiet)), (quiet, busy)


def _timed(client: httpx.Client, path: str) -> float:
    t0 = time.perf_counter()
    assert client.get(path).status_code == 200
    return time.perf_counter() - t0


def test_security_headers_and_login_csrf(world) -> None:
    client = world.client()
    page = client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script" not in csp
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    victim = world.client()
    sign_in(victim, "alice")
    attacker_login = {"user": "bob", "password": PASSWORD}  # a cross-site form posted into the victim's browser
    assert victim.post("/login", data=attacker_login).status_code == 403
    assert "signed in as <strong>alice</strong>" in victim.get("/").text
    tls = world.client(tls=True)
    cookie = tls.get("/login").headers["set-cookie"]
    assert cookie.startswith("__Host-") and "secure" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "strict-transport-security" in tls.get("/login").headers


def test_a_server_started_from_another_folder_finds_every_run(world, tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        from extractor.web.settings import settings_from

        client = TestClient(create_app(settings_from(Path(os.path.relpath(world.out)), Path("rel"),
                                                     allowed_hosts=["testserver"])),
                            follow_redirects=False)
        sign_in(client, "alice")
        page = client.get(f"/runs/{world.runs['T-1']}").text
    finally:
        os.chdir(cwd)
    assert "t.csv" in page and "passed" in page
