"""Hand in, follow, collect: a requester hands a request in through the airlock, the controller's runner
(the only holder of the key) runs it, two checkers decide, the requester reads the comments and downloads
the released files of their own project only."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from adversarial.airlock_world import sign_in
from starlette.testclient import TestClient

from builders import World, accounts, write_world
from conftest import TEST_KEY
from extractor.machine import resolve
from extractor.release import submissions, workflow
from extractor.release.runner import serve
from extractor.release.store import opened
from extractor.web.app import create_app
from extractor.web.settings import Settings

SQL = "SELECT service_task, count(*) AS n FROM documents GROUP BY ALL\n"


@pytest.fixture()
def airlock(tmp_path: Path):
    w = World(clients=[f"P{i}" for i in range(40)],
              documents=[(f"d{i}", f"d{i}", f"P{i}", "R1", "20") for i in range(40)])
    request = write_world(w, tmp_path / "world")
    out = tmp_path / "out"
    accounts(out, "T-1", checkers=("alice", "bob"), requesters=("rita",))
    accounts(out, "OTHER", checkers=(), requesters=("olli",))
    return out, request


def client(out: Path, tmp: Path) -> TestClient:
    return TestClient(create_app(Settings(out.resolve(), (tmp / "released").resolve())), follow_redirects=False)


def request_text(request: Path, **swap: str) -> str:
    text = request.read_text().replace('catalog = "catalog.toml"', 'catalog = "/etc/elsewhere/catalog.toml"')
    for old, new in swap.items():
        text = text.replace(old, new)
    return text


def hand_in(c: TestClient, csrf: str, text: str, sql: str = SQL, name: str = "q.sql", project: str = "T-1",
            replaces: str = ""):
    return c.post("/submit/send", data={"csrf": csrf, "project": project, "request": text, "q1_name": name,
                                        "q1_sql": sql, "replaces": replaces})


def run_waiting(out: Path, request: Path) -> int:
    return serve(out, (request.parent / "catalog.toml").resolve(), None, None, TEST_KEY.encode(), resolve(),
                 once=True, report=lambda _line: None)


def test_hand_in_run_review_and_download(airlock, tmp_path: Path) -> None:
    out, request = airlock
    rita = client(out, tmp_path)
    csrf = sign_in(rita, "rita")
    form = rita.get("/submit")
    assert form.status_code == 200 and 'name="request"' in form.text and "T-1" in form.text
    r = hand_in(rita, csrf, request_text(request))
    assert r.status_code == 303 and r.headers["location"] == "/submissions"
    assert "waiting" in rita.get("/submissions").text

    assert run_waiting(out, request) == 1  # the runner, with the controller's catalog (the request named another)
    page = rita.get("/submissions").text
    run_id = re.search(r'href="/runs/([^"]+)"', page).group(1)
    assert "submitted" in page
    with opened(out) as store:
        run = store.reading().run(run_id)
        assert run.submitted_by == "rita"  # who handed it in, whatever the TOML says
        with pytest.raises(workflow.Refused):
            workflow.decide(store, "rita", run_id, "approve")  # nobody reviews their own request
        workflow.decide(store, "alice", run_id, "approve")
        workflow.decide(store, "bob", run_id, "return", "Please group the service tasks.")
    page = rita.get("/submissions").text
    assert "returned" in page and "Please group the service tasks." in page and "Fix and hand in again" in page
    sub_id = re.search(r"/submit\?from=(S[0-9a-f]+)", page).group(1)
    again = rita.get(f"/submit?from={sub_id}").text
    assert "GROUP BY ALL" in again and f'value="{sub_id}"' in again  # the form comes back filled in

    assert hand_in(rita, csrf, request_text(request), replaces=sub_id).status_code == 303
    assert run_waiting(out, request) == 1
    with opened(out) as store:
        second = [r for r in store.reading().runs.values() if r.run_id != run_id][0].run_id
        workflow.decide(store, "alice", second, "approve")
        workflow.decide(store, "bob", second, "approve")
        workflow.release(store, "alice", second, tmp_path / "released")
    page = rita.get("/submissions").text
    assert "released" in page and f'/runs/{second}/files/t.csv' in page
    download = rita.get(f"/runs/{second}/files/t.csv")
    assert download.status_code == 200 and "service_task" in download.text

    olli = client(out, tmp_path)
    sign_in(olli, "olli")
    assert "rita" not in olli.get("/submissions").text and sub_id not in olli.get("/submissions").text
    assert olli.get(f"/runs/{second}/files/t.csv").status_code == 404  # another project's files


def test_a_failed_run_tells_the_requester_without_the_controllers_paths(airlock, tmp_path: Path) -> None:
    out, request = airlock
    rita = client(out, tmp_path)
    csrf = sign_in(rita, "rita")
    assert hand_in(rita, csrf, request_text(request), sql="SELECT sexx AS service_task, count(*) AS n\n"
                                                          "FROM clients GROUP BY ALL").status_code == 303
    run_waiting(out, request)
    page = rita.get("/submissions").text
    assert "failed" in page and "q.sql:1:8:" in page and "did you mean" in page
    assert str(tmp_path) not in page and "inbox" not in page


@pytest.mark.parametrize(("who", "edit", "status", "message"), [
    ("alice", {}, 403, "not a requester of project"),
    ("rita", {"project": "OTHER"}, 403, "not a requester of project"),
    ("rita", {"name": "../evil.sql"}, 400, "a query file is named like"),
    ("rita", {"name": "other.sql"}, 400, "outputs[0].query is &#39;q.sql&#39;: name one of the query files"),
    ("rita", {"text": "[request\nid = 1"}, 400, "not valid TOML"),
    ("rita", {"text": 'id = "T-1"\n[x]', "swap": True}, 400, "request.project is"),
])
def test_what_may_not_be_handed_in(airlock, tmp_path: Path, who: str, edit: dict, status: int,
                                   message: str) -> None:
    out, request = airlock
    c = client(out, tmp_path)
    csrf = sign_in(c, who)
    text = edit.get("text", request_text(request))
    if edit.get("swap"):
        text = request_text(request, **{'id = "T-1"': 'id = "T-1"\nproject = "OTHER"'})
    r = hand_in(c, csrf, text, name=edit.get("name", "q.sql"), project=edit.get("project", "T-1"))
    assert r.status_code == status and message in r.text, r.text
    with opened(out) as store:
        assert store.reading().submissions == {}


def test_two_runners_never_take_the_same_submission(airlock, tmp_path: Path) -> None:
    out, request = airlock
    files = {"request.toml": request_text(request), "q.sql": SQL}
    with opened(out) as store:
        ids = {submissions.hand_in(store, "rita", "T-1", files) for _ in range(6)}
    taken: list[str] = []

    def runner() -> None:
        with opened(out) as store:
            while (sub := submissions.claim_next(store, "runner")) is not None:
                taken.append(sub.id)

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(ids)


def test_the_web_process_never_reads_the_key(airlock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, request = airlock
    monkeypatch.delenv("EXTRACTOR_KEY", raising=False)
    rita = client(out, tmp_path)
    csrf = sign_in(rita, "rita")
    assert hand_in(rita, csrf, request_text(request)).status_code == 303  # handed in with no key anywhere
    shutil.rmtree(out / ".extractor" / "inbox", ignore_errors=True)
    assert run_waiting(out, request) == 1
