"""Command line: `extractor synth | run | check | demo`. Errors are one line on stderr with exit code 2."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from extractor.errors import ExtractorError
from extractor.machine import Limits, resolve
from extractor.shipped import shipped

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Privacy-aware secondary-use research extracts from structured registry records.")
audit_app = typer.Typer(help="The hash-chained audit log of an output root.", no_args_is_help=True)
review_app = typer.Typer(help="Two independent reviewers decide on a submitted run.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(review_app, name="review")
notice_app = typer.Typer(help="Notices built from the audit log.", no_args_is_help=True)
app.add_typer(notice_app, name="notice")
out = Console(soft_wrap=True)
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def _version(value: bool) -> None:
    if value:
        from extractor import __version__
        out.print(f"extractor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit")] = False) -> None:
    """Privacy-aware secondary-use research extracts from structured registry records."""


def _scrub(message: str) -> str:
    key = os.environ.get("EXTRACTOR_KEY")
    return message.replace(key, "<key>") if key else message


def friendly(fn: F) -> F:
    """Turn every failure into one line and exit code 2 (bad input) or 1 (a bug), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ExtractorError as exc:
            err.print(f"error: {_scrub(str(exc))}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted: nothing was released", markup=False)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
            if os.environ.get("EXTRACTOR_DEBUG"):
                raise
            first = (str(exc).strip().splitlines() or [""])[0]
            err.print(f"internal error: {type(exc).__name__}: {_scrub(first)} (set EXTRACTOR_DEBUG=1 for details)",
                      markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


Threads = Annotated[int | None, typer.Option(
    "--threads", min=1, help="Threads (else EXTRACTOR_THREADS, else the CPUs this process may use)")]
MemoryLimit = Annotated[str | None, typer.Option(
    "--memory-limit", help="DuckDB memory limit, e.g. 8GB (else EXTRACTOR_MEMORY_LIMIT, else half of what the "
    "process may use)")]
TempDir = Annotated[Path | None, typer.Option(
    "--temp-dir", help="Folder for spill and scratch files (else EXTRACTOR_TEMP_DIR, else OUT/.extractor/work)")]


def _limits(threads: int | None, memory_limit: str | None, temp_dir: Path | None) -> Limits:
    return resolve(threads, memory_limit, temp_dir)


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=err, transient=False, disable=not err.is_terminal)


@app.command()
@friendly
def synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the Parquet registry into")] = Path(
        "demo/registry"),
    clients: Annotated[int, typer.Option(min=1, help="Number of clients")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same registry")] = 2026,
    threads: Threads = None,
) -> None:
    """Generate a synthetic Finnish social-welfare registry (Parquet); the same seed gives the same bytes."""
    os.environ["POLARS_MAX_THREADS"] = str(_limits(threads, None, None).threads)  # before Polars is imported
    from extractor.synth import registry as synth_mod

    with _progress() as bar:
        task = bar.add_task("synthesising", total=None)
        counts = synth_mod.generate(out_dir, clients, seed,
                                    progress=lambda s: bar.update(task, description=f"synth: {s}"))
        bar.update(task, total=1, completed=1, description="synth: done")
    out.print(f"wrote {out_dir}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


def _run_one(request: Path, out_root: Path, data_root: Path | None, key_file: Path | None, limits: Limits) -> Any:
    from extractor.config.load import load_config
    from extractor.pipeline import STAGES, run_extract
    from extractor.protect.pseudonym import load_master_key

    cfg = load_config(request, data_root)
    key = load_master_key(key_file)
    with _progress() as bar:
        task = bar.add_task(f"{cfg.request.id}", total=len(STAGES))
        result = run_extract(cfg, out_root, key, on_stage=lambda s: bar.update(
            task, description=f"{cfg.request.id}: {s}", completed=STAGES.index(s)), limits=limits)
        bar.update(task, completed=len(STAGES), description=f"{cfg.request.id}: released")
    return result


@app.command()
@friendly
def run(
    request: Annotated[Path, typer.Argument(help="The extract request (TOML)")],
    out_root: Annotated[Path, typer.Option("--out", help="Output root: runs go to OUT/<request id>/<run id>")] = Path(
        "out"),
    data_root: Annotated[Path | None, typer.Option(help="Folder of the source files (overrides catalog.root)")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else EXTRACTOR_KEY)")] = None,
    threads: Threads = None, memory_limit: MemoryLimit = None, temp_dir: TempDir = None,
) -> None:
    """Run one extract request end to end; a run that passes the output check is submitted for review."""
    result = _run_one(request, out_root, data_root, key_file, _limits(threads, memory_limit, temp_dir))
    out.print(f"released {result.release_dir}")
    out.print(f"review report {result.run_dir / 'review' / 'review.html'}")


@app.command()
@friendly
def check(run_dir: Annotated[Path, typer.Argument(help="A run folder or its release/ folder")]) -> None:
    """Re-check a release independently of the run that made it; exit 2 if anything fails."""
    from extractor.checker.release_check import check_release

    folder = run_dir / "release" if (run_dir / "release").is_dir() else run_dir
    report = check_release(folder)
    store_root = _store_root(folder)
    if store_root is not None:
        from extractor.release import audit_log
        con = audit_log.connect(store_root)
        try:
            audit_log.append(con, "check", {"folder": str(folder.resolve()), "passed": report.passed,
                                            "findings": report.findings}, run_id=folder.resolve().parent.name)
        finally:
            con.close()
    for finding in report.findings:
        err.print(f"FAIL {finding}", markup=False, highlight=False)
    if not report.passed:
        raise ExtractorError(f"{folder}: output check failed with {len(report.findings)} finding(s)")
    out.print(f"{folder}: output check passed ({len(report.files)} file(s))")


def _store_root(folder: Path) -> Path | None:
    """The output root holding the store, for a release folder OUT/<request>/<run>/release."""
    from extractor.release.audit_log import STORE
    for parent in folder.resolve().parents:
        if (parent / STORE).is_file():
            return parent
    return None


OutRoot = Annotated[Path, typer.Option("--out", help="The output root holding the runs and the store")]
Who = Annotated[str | None, typer.Option("--as", help="Who is acting (else EXTRACTOR_ACTOR or the login name)")]


@audit_app.command("verify")
@friendly
def audit_verify(out_root: OutRoot = Path("out")) -> None:
    """Recompute the hash chain; exit 2 naming the first record that was edited, deleted or reordered."""
    from extractor.release import audit_log
    if not (out_root / audit_log.STORE).is_file():
        raise ExtractorError(f"{out_root}: no audit log here ({audit_log.STORE})")
    con = audit_log.connect(out_root)
    try:
        n = audit_log.verify(con)
        anchors = audit_log.verify_anchors(con, out_root)
        head = con.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        con.close()
    out.print(f"audit log verified: {n} record(s), {anchors} run anchor(s), head {head[0] if head else '-'}")


@audit_app.command("show")
@friendly
def audit_show(out_root: OutRoot = Path("out"), run: Annotated[str | None, typer.Option()] = None) -> None:
    """List the audit records (optionally of one run)."""
    from extractor.release import audit_log
    con = audit_log.connect(out_root)
    try:
        rows = con.execute("SELECT seq, recorded_at, actor, action, request_id, run_id FROM audit_log "
                           "WHERE ? IS NULL OR run_id = ? ORDER BY seq", [run, run]).fetchall()
    finally:
        con.close()
    for row in rows:
        out.print("  ".join(str(v) for v in row), markup=False, highlight=False)


@review_app.command("decide")
@friendly
def review_decide(run_id: str, decision: Annotated[str, typer.Option(help="approve, return or reject")],
                  out_root: OutRoot = Path("out"), who: Who = None,
                  comment: Annotated[str, typer.Option()] = "") -> None:
    """Record one reviewer's decision on a submitted run."""
    from extractor.release import audit_log, workflow
    con = audit_log.connect(out_root)
    try:
        status = workflow.decide(con, run_id, who or audit_log.actor(), decision, comment)
    finally:
        con.close()
    out.print(f"run {run_id}: decision recorded; status {status}")


@review_app.command("status")
@friendly
def review_status(run_id: str, out_root: OutRoot = Path("out"), who: Who = None) -> None:
    """A run's status and the decisions this reviewer may see."""
    from extractor.release import audit_log, workflow
    con = audit_log.connect(out_root)
    try:
        status, rows = workflow.visible_reviews(con, run_id, who or audit_log.actor())
    finally:
        con.close()
    out.print(f"run {run_id}: {status}")
    for reviewer, decision, comment, at in rows:
        out.print(f"  {at} {reviewer}: {decision} {comment}", markup=False, highlight=False)


@app.command("release")
@friendly
def release_cmd(run_id: str, to: Annotated[Path, typer.Option("--to", help="The release folder")],
                out_root: OutRoot = Path("out")) -> None:
    """Copy an approved run's release folder (re-checked) to the release folder."""
    from extractor.release import audit_log, workflow
    con = audit_log.connect(out_root)
    try:
        final = workflow.release(con, run_id, to)
    finally:
        con.close()
    out.print(f"released {final}")


@notice_app.command("practice")
@friendly
def notice_practice(year: Annotated[int, typer.Option(help="The calendar year")],
                    organisation: Annotated[str, typer.Option(help="The practice or controller, as patients know it")],
                    to: Annotated[Path, typer.Option("--to", help="Folder for the notices")],
                    out_root: OutRoot = Path("out")) -> None:
    """'How your data were used this year', in Finnish, Swedish and English, from the verified audit log."""
    from extractor.reports.periodic import practice_notice
    for path in practice_notice(out_root, year, organisation, to):
        out.print(f"wrote {path}")


@notice_app.command("person")
@friendly
def notice_person(person: Annotated[str, typer.Argument(help="The person's key in the registry")],
                  to: Annotated[Path, typer.Option("--to", help="Folder for the statements")],
                  out_root: OutRoot = Path("out"),
                  key_file: Annotated[Path | None, typer.Option(help="Key file (else EXTRACTOR_KEY)")] = None) -> None:
    """One person's statement: which released extracts used their data, and which left it out by their choice."""
    from extractor.protect.pseudonym import load_master_key
    from extractor.reports.periodic import person_statement
    for path in person_statement(out_root, load_master_key(key_file), person, to):
        out.print(f"wrote {path}")


@app.command()
@friendly
def reidentify(
    run_dir: Annotated[Path, typer.Argument(help="A run folder holding controller/reidentification_map.csv.fernet")],
    to: Annotated[Path, typer.Option("--to", help="Where to write the decrypted map (must not exist)")],
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else EXTRACTOR_KEY)")] = None,
) -> None:
    """Controller only: decrypt a run's pseudonym -> person map (for consent-based re-contact)."""
    import json

    from cryptography.fernet import Fernet, InvalidToken

    from extractor.files import write_private
    from extractor.protect.pseudonym import load_master_key, project_key

    source = run_dir / "controller" / "reidentification_map.csv.fernet"
    if not source.is_file():
        raise ExtractorError(f"{run_dir}: no re-identification map (request [protection] reidentification_map)")
    manifest = run_dir / "release" / "manifest.json"
    if not manifest.is_file():
        raise ExtractorError(f"{run_dir}: no release/manifest.json: not a run folder")
    project = json.loads(manifest.read_text(encoding="utf-8"))["project"]
    if to.exists():
        raise ExtractorError(f"{to}: already exists; choose a new file")
    try:
        plain = Fernet(project_key(load_master_key(key_file), project).encryption_key()).decrypt(source.read_bytes())
    except InvalidToken:
        raise ExtractorError(f"{source}: cannot decrypt with this key (another controller key?)") from None
    write_private(to, plain)
    persons = plain.count(b"\n") - 1
    out.print(f"wrote {to} ({persons} persons, mode 600)")


@app.command()
@friendly
def demo(
    workdir: Annotated[Path, typer.Option(help="Folder for the synthetic registry, key and outputs")] = Path("demo"),
    clients: Annotated[int, typer.Option(min=100, help="Clients in the synthetic registry")] = 50_000,
    seed: Annotated[int, typer.Option()] = 2026,
    threads: Threads = None, memory_limit: MemoryLimit = None, temp_dir: TempDir = None,
) -> None:
    """Synthesise a registry; run an audit table, a research aggregate, anonymised microdata, redacted notes."""
    limits = _limits(threads, memory_limit, temp_dir)
    os.environ["POLARS_MAX_THREADS"] = str(limits.threads)  # before Polars is imported
    from extractor.protect.pseudonym import write_new_key_file
    from extractor.synth import registry as synth_mod

    registry = workdir / "registry"
    requests = ("audit_request.toml", "research_request.toml", "microdata_request.toml", "notes_request.toml")
    steps = len(requests) + 1
    out.print(f"[bold]1/{steps}[/] synthesising {clients:,} clients into {registry}")
    synth_mod.generate(registry, clients, seed)
    key_file = workdir / "keys" / "controller.key"
    if not key_file.exists():
        write_new_key_file(key_file)
    os.environ.pop("EXTRACTOR_KEY", None)
    results = []
    for i, name in enumerate(requests, start=2):
        out.print(f"[bold]{i}/{steps}[/] running examples/registry/{name}")
        results.append(_run_one(shipped("examples", "registry", name), workdir / "out", registry, key_file,
                                limits))
    out.print("\n[bold]Demo outputs[/]")
    for result in results:
        out.print(f"[bold]{result.run_dir.parent.name}[/]")
        out.print(f"  released tables    {result.release_dir}")
        out.print(f"  DPO review report  {result.run_dir / 'review' / 'review.html'}")
        out.print(f"  patient notices    {result.run_dir / 'notices'}")
    out.print(f"Check a release again with: extractor check {workdir / 'out' / 'AUD-2026-014' / 'latest'}")


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
