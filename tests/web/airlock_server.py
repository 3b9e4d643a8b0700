"""The airlock served on loopback for the browser tests (Playwright drives Debian's Chromium against it)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from builders import accounts, submitted_run
from extractor.web.app import create_app
from extractor.web.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path: Path):
    cfg, out, first = submitted_run(tmp_path, clients=40)
    accounts(out, "T-1", checkers=("alice", "bob"), requesters=("r",))
    port = _free_port()
    config = uvicorn.Config(create_app(Settings(out.resolve(), (tmp_path / "released").resolve())), host="127.0.0.1",
                            port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", out, cfg, first
    srv.should_exit = True
    thread.join(5)
