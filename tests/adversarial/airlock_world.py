"""An airlock to attack: two projects, each with a submitted run; checkers, requesters and a DPO; a client per
account (Starlette's TestClient, or a real server on loopback), and a snapshot of everything an attack must
leave unchanged (the log, the credentials, every file under the output root and the release folder)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from starlette.testclient import TestClient

from builders import PASSWORD, World, accounts, write_world
from conftest import TEST_KEY
from extractor.config.load import load_config
from extractor.pipeline import run_extract
from extractor.web.app import create_app
from extractor.web.settings import Settings

SECRET = "proxy-secret-0123456789abcdef"


@dataclass
class AirlockWorld:
    out: Path
    released: Path
    runs: dict[str, str]  # project -> its submitted run
    folder: Path

    def settings(self, **kw: object) -> Settings:
        return Settings(self.out.resolve(), self.released.resolve(), **kw)

    def client(self, **kw: object) -> TestClient:
        return TestClient(create_app(self.settings(**kw)), follow_redirects=False)

    def snapshot(self) -> tuple:
        """The log's rows, the credentials and every file (name and hash) under OUT and the release folder."""
        con = sqlite3.connect(self.out / ".extractor" / "state.sqlite")
        rows = con.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
        creds = con.execute("SELECT * FROM credentials ORDER BY account").fetchall()
        con.close()
        files = []
        for root in (self.out, self.released):
            for p in sorted(root.rglob("*")) if root.exists() else []:
                if p.is_file() and not p.is_symlink() and "/.extractor/" not in p.as_posix():
                    files.append((p.relative_to(root).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest()))
        return rows, creds, files


def make_world(tmp: Path, clients: int = 12) -> AirlockWorld:
    out = tmp / "out"
    runs = {}
    for project, account in (("T-1", "tuuli"), ("OTHER", "olli")):
        w = World(clients=[f"P{i}" for i in range(clients)],
                  documents=[(f"d{i}", f"d{i}", f"P{i}", "R1", "20") for i in range(clients)])
        extra = f'project = "{project}"\n' if project != "T-1" else ""
        request = write_world(w, tmp / f"world-{project}", extra_request=extra)
        text = request.read_text(encoding="utf-8").replace(
            'requester = { name = "R",', f'requester = {{ account = "{account}", name = "Dr Tuuli Tutkija",')
        if project != "T-1":  # a request id names one project's request (OUT/<request id>)
            text = text.replace('id = "T-1"', 'id = "O-1"', 1)
        request.write_text(text, encoding="utf-8")
        accounts(out, project, checkers=("alice", "bob"), requesters=(account,), admins=("dora",))
        runs[project] = run_extract(load_config(request), out, TEST_KEY.encode()).run_id
    return AirlockWorld(out, tmp / "released", runs, tmp)


def sign_in(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Sign in through the form; the session's CSRF token."""
    login = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', login.text).group(1)
    response = client.post("/login", data={"user": user, "password": password, "login_csrf": token})
    assert response.status_code == 303, response.text
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
