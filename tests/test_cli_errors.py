"""Bad input: one line naming the file and key, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from builders import World, write_world
from conftest import run_env


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env or run_env(), timeout=300)


def world(tmp: Path) -> Path:
    w = World(clients=["A"], documents=[("a1", "a1", "A", "R1", "10")])
    return write_world(w, tmp)


def _replace(old: str, new: str, file: str = "request.toml"):
    def edit(folder: Path) -> None:
        path = folder / file
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))
    return edit


CASES = [
    ("missing key in request", _replace('title = { fi = "testi", sv = "test", en = "test" }\n', ""), "request.toml: request.title: expected a string or a table"),
    ("a direction override in a title", _replace('en = "test" }', 'en = "Counts \\u202efdp.exe" }'),
     "request.toml: request.title: expected text without invisible control characters, got 'U+202E"),
    ("a zero-width space in a requester's name", _replace('name = "R"', 'name = "R\\u200b"'),
     "request.toml: request.requester.name: expected text without invisible control characters, got 'U+200B"),
    ("notice text missing a language", _replace('sv = "test", en = "test" }', 'en = "test" }'),
     'request.toml: request.title: no text for "sv" (expected fi, sv and en)'),
    ("unknown legal basis id", _replace('legal_basis = "gdpr-6-1-e"', 'legal_basis = "gdpr-6-1-z"'),
     "request.toml: request.legal_basis: expected a known basis id"),
    ("legal basis as free text in one language", _replace('legal_basis = "gdpr-6-1-e"', 'legal_basis = "as per law"'),
     'request.toml: request.legal_basis: no text for "fi", "sv", "en" (expected fi, sv and en, or a basis id'),
    ("typo in a key", _replace("retention =", "retension ="), "request.toml: request.retension: expected a known key (did you mean 'retention'?): "),
    ("bad date", _replace("as_of = 2026-06-30", 'as_of = "30.6.2026"'), "request.toml: request.as_of: expected a date"),
    ("as-of date in the future", _replace("as_of = 2026-06-30", "as_of = 2999-01-01"), "request.as_of: expected a date not after today"),
    ("unknown purpose", _replace('purpose = "research"', 'purpose = "marketing"'), "request.purpose: expected a purpose of the policy"),
    ("missing query file", _replace('query = "q.sql"', 'query = "nope.sql"'), "outputs[0].query: expected an existing file"),
    ("unknown role in catalog", _replace('sex = "quasi_identifier"', 'sex = "secret"', "catalog.toml"), "catalog.toml: tables.clients.columns.sex: expected a role"),
    ("column missing from the file", _replace('sex = "quasi_identifier"', 'gender = "quasi_identifier"', "catalog.toml"), "catalog.toml: tables.clients.columns.gender: expected a column of clients.parquet"),
    ("missing source file", _replace('path = "clients.parquet"', 'path = "nope.parquet"', "catalog.toml"), "catalog.toml: tables.clients.path: expected an existing file"),
    ("TOML syntax error", _replace("[request]", "[request"), "request.toml:2:9: expected valid TOML (Expected ']' at the end of a table declaration)"),
    ("a date TOML cannot read", _replace("as_of = 2026-06-30", "as_of = 30.06.2026"), "request.toml:7:14: expected valid TOML (Expected newline or end of document after a statement; a date is written 2026-10-31 (a real day), without quotes)"),
    ("TOML nested past the parser's depth", _replace("[[outputs]]", "deep = " + "[" * 3000 + "]" * 3000 + "\n[[outputs]]"), "request.toml: expected valid TOML (arrays or tables nested a few levels deep at most)"),
    ("a date in an inline table that does not exist",
     lambda d: (d / "request.toml").write_text(re.sub(r"granted_on = [0-9-]+", "granted_on = 2026-13-01",
                                                     (d / "request.toml").read_text())),
     "a date is written 2026-10-31 (a real day), without quotes"),
    ("a date that does not exist", _replace("as_of = 2026-06-30", "as_of = 2026-13-30"), "expected valid TOML (Expected newline or end of document after a statement; a date is written 2026-10-31"),
    ("a withheld column as a variable", _replace("[[outputs]]", '[variables]\nclients = ["hetu"]\n[[outputs]]'), "variables.clients: expected columns a query may read ('hetu' is a direct_identifier"),
    ("unknown free-text subject mode", _replace("[[outputs]]", '[protection]\nfree_text_subject = "name"\n[[outputs]]'), "request.toml: protection.free_text_subject: expected 'tag' or 'pseudonym'"),
    ("a control character in a dimension", _replace('dimensions = ["service_task"]', 'dimensions = ["service_task", "a\\u0000b"]'), "request.toml: outputs[0].dimensions: expected a name of 1 to 255 characters without control characters, not"),
    ("a newline in a catalog column", _replace('sex = "quasi_identifier"', '"se\\nx" = "quasi_identifier"', "catalog.toml"), "catalog.toml: tables.clients.columns.se\\nx: expected a name of 1 to 255 characters"),
    ("register missing for an applied rule", _replace("[registers.opt_out]", "[registers.opt_out_unused]", "catalog.toml"), "registers.opt_out_unused: expected a register kind"),
]


@pytest.mark.parametrize(("name", "edit", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_config_one_line_exit_2(tmp_path: Path, name: str, edit, message: str) -> None:
    request = world(tmp_path)
    edit(tmp_path)
    out = tmp_path / "out"
    proc = cli("run", str(request), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))


def test_a_run_stopped_after_it_began_leaves_no_folder_of_its_own(tmp_path: Path) -> None:
    """Stopped at the disclosure stage (a dimension the query does not return): the request's folder, made by
    this run, is gone again; only the store's own hidden folder stays. A folder that was there before stays."""
    request = world(tmp_path)
    _replace('dimensions = ["service_task"]', 'dimensions = ["service_taks"]')(tmp_path)
    out = tmp_path / "out"
    proc = cli("run", str(request), "--out", str(out))
    assert proc.returncode == 2 and "did you mean 'service_task'" in proc.stderr
    assert [p.name for p in out.iterdir()] == [".extractor"]
    assert not any(p.is_file() for p in out.rglob("*") if ".extractor" not in p.parts)
    (out / "T-1").mkdir()  # the requester's own (empty) folder of the request
    assert cli("run", str(request), "--out", str(out)).returncode == 2 and (out / "T-1").is_dir()


def test_a_request_id_another_project_uses_is_refused(tmp_path: Path) -> None:
    """One output folder, OUT/T-1, holds one project's runs: the same id under another project stops before
    anything is read or written."""
    request = world(tmp_path)
    out = tmp_path / "out"
    assert cli("run", str(request), "--out", str(out)).returncode == 0
    runs = sorted(p.name for p in (out / "T-1").iterdir())
    _replace('id = "T-1"', 'id = "T-1"\nproject = "T-2"')(tmp_path)
    proc = cli("run", str(request), "--out", str(out))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "request.id 'T-1': the id of another project's request" in proc.stderr
    assert sorted(p.name for p in (out / "T-1").iterdir()) == runs


@pytest.mark.parametrize(("args", "expected"), [
    (["try", "request.toml", "--persons", "100,000"], "try: Invalid value for '--persons'"),
    (["run"], "run: Missing argument 'request'."),
    (["nosuch"], "No such command 'nosuch'."),
    (["run", "request.toml", "--nope"], "run: No such option: --nope"),
])
def test_a_mistyped_command_line_is_one_line(args: list[str], expected: str) -> None:
    """A wrong option, value, argument or command: one line naming it, exit code 2, not a box of usage text."""
    proc = cli(*args)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert expected in proc.stderr and "--help)" in proc.stderr and "╭" not in proc.stderr


def test_sandbox_refusal_via_cli(tmp_path: Path) -> None:
    request = world(tmp_path)
    leak = tmp_path / "leak.csv"
    (tmp_path / "q.sql").write_text(f"COPY (SELECT * FROM documents) TO '{leak}'")
    proc = cli("run", str(request), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "q.sql: refused: only a SELECT" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not leak.exists()


def test_missing_key_names_the_remedy(tmp_path: Path) -> None:
    request = world(tmp_path)
    env = run_env()
    env.pop("EXTRACTOR_KEY")
    proc = cli("run", str(request), "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 2 and "EXTRACTOR_KEY" in proc.stderr


def test_key_never_in_error_output(tmp_path: Path) -> None:
    request = world(tmp_path)
    _replace('title = { fi = "testi", sv = "test", en = "test" }\n', "")(tmp_path)
    proc = cli("run", str(request), "--out", str(tmp_path / "out"))
    assert run_env()["EXTRACTOR_KEY"] not in proc.stderr + proc.stdout


def test_check_command_on_non_release(tmp_path: Path) -> None:
    proc = cli("check", str(tmp_path))
    assert proc.returncode == 2 and "not a release folder" in proc.stderr


def test_run_and_check_succeed(tmp_path: Path) -> None:
    request = world(tmp_path)
    proc = cli("run", str(request), "--out", str(tmp_path / "out"), "--verbose")
    assert proc.returncode == 0, proc.stderr
    stages = [line.split()[0] for line in proc.stdout.splitlines() if " s  peak " in line]
    assert stages == ["sources", "eligibility", "protect", "query", "disclosure", "check", "release"]
    assert re.search(r"eligibility +[0-9.]+ s  peak +[0-9,]+ MB +[0-9,]+ rows", proc.stdout)
    html = (tmp_path / "out" / "T-1" / "latest" / "review" / "review.html").read_text(encoding="utf-8")
    assert 'id="stage-costs"' in html and "<td>protect</td>" in html
    proc = cli("check", str(tmp_path / "out" / "T-1" / "latest"))
    assert proc.returncode == 0 and "output check passed" in proc.stdout


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--memory-limit", "lots"], {}, "--memory-limit: expected a memory size such as 16GB"),
    ([], {"EXTRACTOR_MEMORY_LIMIT": "8 parsecs"}, "EXTRACTOR_MEMORY_LIMIT: expected a memory size"),
    ([], {"EXTRACTOR_THREADS": "many"}, "EXTRACTOR_THREADS: expected a whole number of threads"),
    (["--engine", "postgres"], {}, "--engine: expected one of duckdb, spark, got 'postgres'"),
])
def test_bad_machine_limits_one_line_exit_2(tmp_path: Path, args: list[str], env: dict, message: str) -> None:
    request = world(tmp_path)
    out = tmp_path / "out"
    proc = cli("run", str(request), "--out", str(out), *args, env={**run_env(), **env})
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr
    assert not out.exists()


def test_spark_without_java_is_one_line(tmp_path: Path) -> None:
    request = world(tmp_path)
    env = {k: v for k, v in run_env().items() if k != "JAVA_HOME"} | {"PATH": str(tmp_path / "no-java")}
    proc = cli("run", str(request), "--out", str(tmp_path / "out"), "--engine", "spark", env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: --engine spark needs Java 17 or later: install a JRE "
                                                "(Debian: openjdk-17-jre-headless)"]
    assert not list((tmp_path / "out").rglob("release"))


def test_limits_are_used_and_stated_and_scratch_is_removed(tmp_path: Path) -> None:
    request = world(tmp_path)
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    proc = cli("run", str(request), "--out", str(out), "--threads", "1", "--memory-limit", "1GiB",
               "--temp-dir", str(scratch))
    assert proc.returncode == 0, proc.stderr
    review = (out / "T-1" / "latest" / "review" / "review.html").read_text()
    assert "1 thread(s) (--threads), DuckDB memory limit 1024MiB (--memory-limit)" in review
    assert scratch.is_dir() and not any(scratch.rglob("*.duckdb")) and not any((scratch / "extractor-work").iterdir())


def test_serve_on_a_port_in_use_is_one_line_and_announces_nothing(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = cli("serve", "--out", str(tmp_path / "out"), "--port", str(port))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and f"--port {port}: cannot listen there" in proc.stderr
    assert "airlock for" not in proc.stdout and "Traceback" not in proc.stderr


def test_a_bad_register_on_spark_is_one_line_without_the_jvm_banner(tmp_path: Path) -> None:
    """The JVM's banner ("Using incubator modules", "Setting default log level") went to the terminal before
    the one-line error of a run on Spark."""
    request = world(tmp_path)
    (tmp_path / "opt_outs.parquet").write_bytes(b"not parquet")
    here = tmp_path / "here"  # the folder the user runs from: Spark's catalog left its spark-warehouse there
    here.mkdir()
    proc = cli("run", str(request), "--out", str(tmp_path / "out"), "--engine", "spark", cwd=here)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("error: "), proc.stderr
    assert list(here.iterdir()) == []
