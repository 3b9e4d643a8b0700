"""Hand in, follow, collect: a requester hands a request in through the airlock, the controller's runner
(the only holder of the key) runs it, two checkers decide, the requester reads the comments and downloads
the released files of their own project only."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

import pytest
from adversarial.airlock_world import sign_in
from starlette.testclient import TestClient

from builders import GRANTED, World, accounts, write_world
from conftest import TEST_KEY
from extractor.config.permits import load_permits
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


def permits(folder: Path) -> Path:
    """The controller's record: permit P-1 of project T-1, granted as the test world's request says."""
    path = folder / "permits.toml"
    path.write_text(f'[permits."P-1"]\nproject = "T-1"\ngranted_on = {GRANTED}\npurposes = ["research"]\n')
    return path


def run_waiting(out: Path, request: Path, told: list[str] | None = None) -> int:
    return serve(out, (request.parent / "catalog.toml").resolve(), None, None, TEST_KEY.encode(), resolve(),
                 load_permits(permits(request.parent)), once=True,
                 report=(told.append if told is not None else lambda _line: None))


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
    manifest = json.loads(next(out.rglob("release/manifest.json")).read_text())
    assert manifest["today_from"] == "the runner's clock"  # no --today given: the runner's own date decided
    assert "submitted" in page
    assert rita.get(f"/runs/{run_id}/codebook.html").status_code == 403  # the reviewers' folder
    alice = client(out, tmp_path)
    sign_in(alice, "alice")
    report = alice.get(f"/runs/{run_id}/review/review_en.html").text
    assert 'href="codebook_en.html"' in report
    assert "Muuttujakuvaus" in alice.get(f"/runs/{run_id}/review/codebook_fi.html").text
    assert "Codebook" in alice.get(f"/runs/{run_id}/codebook.html").text
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
    ("rita", {"text": "[request\nid = 1"}, 400, "request.toml:1:9: not valid TOML"),
    ("rita", {"text": "a = " + "[" * 5000 + "]" * 5000}, 400, "not valid TOML (arrays or tables nested"),
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


def test_a_query_named_by_its_path_is_told_to_use_the_file_name(airlock, tmp_path: Path) -> None:
    """The shipped examples name their query by a path (../../queries/x.sql): the refusal says what to write."""
    out, request = airlock
    c = client(out, tmp_path)
    text = request_text(request)
    text = re.sub(r'query = "[^"]*"', 'query = "../../queries/q.sql"', text, count=1)
    r = hand_in(c, sign_in(c, "rita"), text)
    assert r.status_code == 400 and "write query = &#34;q.sql&#34;" in r.text, r.text
    fi = c.post("/submit/send", headers={"Accept-Language": "fi"}, data={
        "csrf": sign_in(c, "rita"), "project": "T-1", "request": text, "q1_name": "q.sql", "q1_sql": SQL})
    assert fi.status_code == 400 and "write query" not in fi.text


def test_two_runners_never_take_the_same_submission(airlock, tmp_path: Path) -> None:
    out, request = airlock
    files = {"request.toml": request_text(request), "q.sql": SQL}
    with opened(out) as store:
        ids = {submissions.hand_in(store, "rita", "T-1", files) for _ in range(submissions.MAX_WAITING)}
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


def shown(html: str) -> str:
    """What a reader sees and what a link carries: text and href values, not random tokens in hidden inputs."""
    links = " ".join(re.findall(r'href="([^"]*)"', html))
    return re.sub(r"<[^>]*>", " ", html) + " " + links


ANON = '''
[[outputs]]
name = "t"
query = "q.sql"
kind = "anonymised_records"
quasi_identifiers = {{ sex = "{path}" }}
'''


@pytest.mark.parametrize(("sql", "path", "leak"), [
    # a runtime error carrying the records: error(), a failed cast
    ("SELECT service_task, count(*) AS n FROM documents WHERE error((SELECT string_agg(client_id, ',') "
     "FROM documents)) IS NULL GROUP BY ALL", None, "P1"),
    ("SELECT service_task, count(*) AS n FROM documents WHERE CAST(service_task || 'x' AS INTEGER) > 0 "
     "GROUP BY ALL", None, "20x"),
    # a hierarchy file outside the submission: an oracle for files on the controller's machine
    ("SELECT c.sex FROM clients c", "/etc/hostname", "hostname"),
    ("SELECT c.sex FROM clients c", "../../../../../../../../etc/hostname", "hostname"),
])
def test_an_error_with_values_from_the_data_or_the_machine_goes_to_the_controller_only(
        airlock, tmp_path: Path, sql: str, path: str | None, leak: str) -> None:
    out, request = airlock
    rita = client(out, tmp_path)
    csrf = sign_in(rita, "rita")
    text = request_text(request)
    if path:
        text = text[:text.index("[[outputs]]")] + ANON.format(path=path)
    assert hand_in(rita, csrf, text, sql=sql).status_code == 303
    told: list[str] = []
    assert run_waiting(out, request, told) == 1
    page = shown(rita.get("/submissions").text)
    assert "failed" in page and leak not in page and "/etc" not in page
    assert ("went to the controller, not to you" in page) or ("builtin hierarchies" in page)
    assert any("failed" in line for line in told)  # the controller's own terminal has the whole message


def test_a_stop_on_the_data_is_told_in_the_requesters_language(airlock, tmp_path: Path) -> None:
    """The runner does not know who reads the message: it records it in each language, and /submissions shows
    the reader's (the new-user trial saw English on the Finnish page)."""
    out, request = airlock
    rita = client(out, tmp_path)
    csrf = sign_in(rita, "rita")
    sql = ("SELECT service_task, count(*) AS n FROM documents WHERE CAST(service_task || 'x' AS INTEGER) > 0 "
           "GROUP BY ALL")
    assert hand_in(rita, csrf, request_text(request), sql=sql).status_code == 303
    assert run_waiting(out, request) == 1
    fi = shown(rita.get("/submissions", headers={"Accept-Language": "fi"}).text)
    sv = shown(rita.get("/submissions", headers={"Accept-Language": "sv"}).text)
    en = shown(rita.get("/submissions", headers={"Accept-Language": "en"}).text)
    assert "meni rekisterinpitäjälle eikä sinulle" in fi and "went to the controller" not in fi
    assert "gick till den personuppgiftsansvarige" in sv
    assert "went to the controller, not to you" in en and "20x" not in fi + sv + en


def test_a_submission_that_breaks_the_pipeline_does_not_stop_the_runner(airlock, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out, request = airlock
    files = {"request.toml": request_text(request), "q.sql": SQL}
    with opened(out) as store:
        first = submissions.hand_in(store, "rita", "T-1", files)
        second = submissions.hand_in(store, "rita", "T-1", files)
    import extractor.pipeline as pipeline

    real = pipeline.run_extract
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run_extract", flaky)
    assert run_waiting(out, request) == 2
    with opened(out) as store:
        subs = store.reading().submissions
    assert subs[first].status == "failed" and "internal error" in subs[first].error
    assert subs[second].status == "submitted"


@pytest.mark.parametrize(("swap", "key"), [
    ({"granted_on = 2": "granted_on = 1"}, "request.permit.granted_on: expected"),
    ({'id = "P-1"': 'id = "P-2"'}, "request.permit.id: expected a permit the controller has recorded"),
    ({'purpose = "research"': 'purpose = "audit"'}, "request.purpose: expected one of research"),
    ({"[request]": "[request]\ntoday = 2099-01-01"}, "skip"),
])
def test_the_controllers_permit_record_decides_the_dates(airlock, tmp_path: Path, swap: dict, key: str) -> None:
    out, request = airlock
    text = request_text(request)
    old, new = next(iter(swap.items()))
    assert old in text
    with opened(out) as store:
        sub = submissions.hand_in(store, "rita", "T-1", {"request.toml": text.replace(old, new, 1), "q.sql": SQL})
    run_waiting(out, request)
    with opened(out) as store:
        state = store.reading()
    if key == "skip":  # the request's own 'today' is not believed: the runner's clock is
        run = state.runs[state.submissions[sub].run_id]
        assert run.details["title"] and state.submissions[sub].status == "submitted"
        return
    assert state.submissions[sub].status == "failed" and key in state.submissions[sub].error


def test_one_account_cannot_fill_the_runners_queue(airlock, tmp_path: Path) -> None:
    out, request = airlock
    rita = client(out, tmp_path)
    csrf = sign_in(rita, "rita")
    answers = [hand_in(rita, csrf, request_text(request)).status_code for _ in range(submissions.MAX_WAITING + 1)]
    assert answers == [303] * submissions.MAX_WAITING + [429]


def test_a_submission_whose_runner_died_is_failed_not_left_running(airlock, tmp_path: Path) -> None:
    import os
    import socket
    import subprocess

    out, request = airlock
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid no process has now
    with opened(out) as store:
        sub = submissions.hand_in(store, "rita", "T-1", {"request.toml": request_text(request), "q.sql": SQL})
        with store.writing() as w:  # what a runner killed mid-run leaves behind
            w.append("submission-claimed", {"id": sub, "host": socket.gethostname(), "pid": gone.pid},
                     request_id="T-1", who="runner")
    assert gone.pid != os.getpid()
    told: list[str] = []
    assert run_waiting(out, request, told) == 0
    with opened(out) as store:
        found = store.reading().submissions[sub]
    assert found.status == "failed" and "hand it in again" in found.error
    assert any("had died" in line for line in told)


def test_the_controllers_folders_are_taken_out_however_the_runner_was_given_them(
        airlock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A runner started with a relative --out and catalog (`extractor runner --out airlock`): the requester's
    error names the handed-in file alone, never the airlock's or the catalog's folder."""
    out, request = airlock
    rita = client(out, tmp_path)
    csrf = sign_in(rita, "rita")
    text = request_text(request, **{'dimensions = ["service_task"]': 'dimensions = ["service_taks"]'})
    assert hand_in(rita, csrf, text).status_code == 303
    monkeypatch.chdir(tmp_path)
    relative = Path(out.name)
    assert serve(relative, Path("world") / "catalog.toml", None, None, TEST_KEY.encode(), resolve(),
                 load_permits(permits(request.parent)), once=True, report=lambda _line: None) == 1
    page = shown(rita.get("/submissions").text)
    assert "failed" in page and "service_taks" in page
    assert ".extractor" not in page and "inbox" not in page and f"{out.name}/" not in page and "world/" not in page


def test_a_request_id_another_project_uses_is_refused(airlock, tmp_path: Path) -> None:
    """OUT/<request id> holds one project's runs: a requester of another project cannot hand in a request under
    that id (its runs would land in that folder, and `latest` would point at them)."""
    out, request = airlock
    rita = client(out, tmp_path)
    assert hand_in(rita, sign_in(rita, "rita"), request_text(request)).status_code == 303  # T-1, project T-1
    olli = client(out, tmp_path)
    csrf = sign_in(olli, "olli")
    taken = hand_in(olli, csrf, request_text(request, **{'id = "T-1"': 'id = "T-1"\nproject = "OTHER"'}),
                    project="OTHER")
    assert taken.status_code == 409 and "another project" in taken.text
    own = hand_in(olli, csrf, request_text(request, **{'id = "T-1"': 'id = "O-1"\nproject = "OTHER"'}),
                  project="OTHER")
    assert own.status_code == 303


def test_runs_that_stop_on_the_real_data_are_rationed(airlock, tmp_path: Path) -> None:
    """error() in a query answers a yes/no question about the real data by whether the run stops: each such stop
    is recorded, and after three in a day the account's next hand-in waits (a stop before any data is read, a
    misspelt key, is free)."""
    out, request = airlock
    rita = client(out, tmp_path)
    csrf = sign_in(rita, "rita")
    probe = ("SELECT service_task, count(*) AS n FROM documents WHERE CASE WHEN (SELECT count(*) FROM documents "
             "WHERE client_id = 'P{i}') > 0 THEN error('bit') ELSE true END GROUP BY ALL")
    typo = request_text(request, **{'dimensions = ["service_task"]': 'dimensions = ["service_taks"]'})
    assert hand_in(rita, csrf, typo).status_code == 303
    for i in range(3):
        assert hand_in(rita, csrf, request_text(request), sql=probe.format(i=i)).status_code == 303
        assert run_waiting(out, request) == (2 if i == 0 else 1)
    with opened(out) as store:
        subs = store.reading().submissions.values()
    assert sorted(s.stopped_on_data for s in subs) == [False, True, True, True]
    refused = hand_in(rita, csrf, request_text(request), sql=probe.format(i=3))
    assert refused.status_code == 429 and "stopped on the real data in the last 24 hours" in refused.text
    olli = client(out, tmp_path)  # another account is not held up
    other = request_text(request, **{'id = "T-1"': 'id = "O-1"\nproject = "OTHER"'})
    assert hand_in(olli, sign_in(olli, "olli"), other, project="OTHER").status_code == 303


def test_requests_handed_in_at_once_cannot_pass_the_ration(airlock, tmp_path: Path) -> None:
    """Two stops, then three hand-ins at once (three may wait) made five stops in a day: the submissions still
    waiting or running count against the ration, as each may yet stop."""
    out, request = airlock
    rita = client(out, tmp_path)
    csrf = sign_in(rita, "rita")
    probe = ("SELECT service_task, count(*) AS n FROM documents WHERE CASE WHEN (SELECT count(*) FROM documents "
             "WHERE client_id = 'P{i}') > 0 THEN error('bit') ELSE true END GROUP BY ALL")
    for i in range(2):
        assert hand_in(rita, csrf, request_text(request), sql=probe.format(i=i)).status_code == 303
    assert run_waiting(out, request) == 2
    assert hand_in(rita, csrf, request_text(request), sql=probe.format(i=2)).status_code == 303
    refused = hand_in(rita, csrf, request_text(request), sql=probe.format(i=3))
    assert refused.status_code == 429 and "waiting or running and 2 stopped on the real data" in refused.text
    assert run_waiting(out, request) == 1
    with opened(out) as store:
        assert sum(s.stopped_on_data for s in store.reading().submissions.values()) == 3


def test_a_request_is_checked_against_the_controllers_catalog_when_handed_in(airlock, tmp_path: Path) -> None:
    """With `serve --catalog`, a misspelt column is refused on the form, as `try` says it, with the controller's
    folders taken out, and nothing is queued; a good request goes to the queue as before."""
    out, request = airlock
    catalog = (request.parent / "catalog.toml").resolve()
    checked = TestClient(create_app(Settings(out.resolve(), (tmp_path / "released").resolve(), catalog=catalog)),
                         follow_redirects=False)
    csrf = sign_in(checked, "rita")
    bad = hand_in(checked, csrf, request_text(request), sql="SELECT service_tsk, count(*) AS n FROM documents "
                                                            "GROUP BY ALL")
    assert bad.status_code == 400 and "did you mean" in bad.text and "q.sql:1:8" in bad.text
    assert str(catalog.parent) not in bad.text and "extractor-hand-in-" not in bad.text
    keys = hand_in(checked, csrf, request_text(request, **{'dimensions = ["service_task"]':
                                                           'dimensions = ["service_taks"]'}))
    assert keys.status_code == 400 and "service_taks" in keys.text
    fi = checked.post("/submit/send", headers={"Accept-Language": "fi"}, data={
        "csrf": csrf, "project": "T-1", "q1_name": "q.sql", "q1_sql": SQL, "replaces": "",
        "request": request_text(request, **{'dimensions = ["service_task"]': 'dimensions = ["service_taks"]'})})
    import html

    assert fi.status_code == 400 and "nimeää sarakkeen 'service_taks'" in html.unescape(fi.text)  # reader's language
    with opened(out) as store:
        assert not store.reading().submissions  # nothing queued
    assert hand_in(checked, csrf, request_text(request)).status_code == 303
    olli = TestClient(create_app(Settings(out.resolve(), (tmp_path / "released").resolve(), catalog=catalog)),
                      follow_redirects=False)
    other = request_text(request, **{'id = "T-1"': 'id = "O-1"'})
    assert hand_in(olli, sign_in(olli, "olli"), other, sql="SELECT nope FROM documents").status_code == 403


def test_the_hand_in_check_has_its_own_time_limit(airlock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On empty tables a query that runs long makes its own rows (a generated series): the web server's time is
    shared, so the check stops it and says so; nothing is queued."""
    from extractor.release import hand_in_check

    monkeypatch.setattr(hand_in_check, "SECONDS", 1.0)
    out, request = airlock
    catalog = (request.parent / "catalog.toml").resolve()
    checked = TestClient(create_app(Settings(out.resolve(), (tmp_path / "released").resolve(), catalog=catalog)),
                         follow_redirects=False)
    csrf = sign_in(checked, "rita")
    slow = hand_in(checked, csrf, request_text(request),
                   sql="SELECT '10' AS service_task, count(*) AS n FROM range(1000000000000) GROUP BY ALL")
    assert slow.status_code == 400 and "stopped after 1 s (the limit of this check)" in slow.text
    with opened(out) as store:
        assert not store.reading().submissions


def test_a_hand_in_check_cannot_take_the_servers_memory_or_run_twice_for_one_account(airlock) -> None:
    """repeat('x', 2e9) took 4 GB of the server's memory past DuckDB's limit (three at once 10.7 GB), and 80
    checks at once filled the server's worker threads: each check now runs in a process whose address space is
    capped, one per account and two in all."""
    from extractor.release import hand_in_check

    _, request = airlock
    catalog = (request.parent / "catalog.toml").resolve()
    files = {"request.toml": request_text(request), "q.sql": "SELECT length(repeat('x', 2000000000)) AS n"}
    problem = hand_in_check.first_problem(files, catalog, None, account="rita")
    assert problem is not None and "memory" in problem
    hand_in_check._busy.add("rita")  # noqa: SLF001 - a check of rita's still running
    try:
        with pytest.raises(workflow.Refused) as refused:
            hand_in_check.first_problem(files, catalog, None, account="rita")
        assert refused.value.status == 429
    finally:
        hand_in_check._busy.discard("rita")  # noqa: SLF001


def test_a_query_slot_named_as_the_request_is_refused(airlock, tmp_path: Path) -> None:
    out, request = airlock
    rita = client(out, tmp_path)
    got = hand_in(rita, sign_in(rita, "rita"), request_text(request), name="request.toml")
    assert got.status_code == 400 and "is named request.toml" in got.text
    with opened(out) as store:
        assert not store.reading().submissions
