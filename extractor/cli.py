"""Command line: `extractor synth | run | check | deidentify | demo`. Errors are one line on stderr with exit code 2."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from extractor import cli_airlock, cli_researcher, cli_text, cli_web
from extractor.cli_support import err, friendly, lang_first, out, run_app, say
from extractor.errors import ExtractorError
from extractor.i18n import Message
from extractor.machine import Limits, resolve
from extractor.release.layout import RunFolder, store_root
from extractor.shipped import shipped

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Privacy-aware secondary-use research extracts from structured registry records.")
def _version(value: bool) -> None:
    if value:
        from extractor import __version__
        out.print(f"extractor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit")] = False,
          lang: Annotated[str | None, typer.Option(
              "--lang", help="fi, sv or en: the language of messages and of the run's review.html (else "
                             "EXTRACTOR_LANG, else the account's, else LANGUAGE/LC_ALL/LANG)")] = None) -> None:
    """Privacy-aware secondary-use research extracts from structured registry records."""
    if lang is not None:
        from extractor import i18n

        if not i18n.supported(lang):
            err.print(f"error: --lang: expected fi, sv or en, got {lang!r}", markup=False, highlight=False)
            raise typer.Exit(2)
        os.environ["EXTRACTOR_LANG"] = i18n.supported(lang) or ""


Threads = Annotated[int | None, typer.Option(
    "--threads", min=1, help="Threads (else EXTRACTOR_THREADS, else the CPUs this process may use)")]
MemoryLimit = Annotated[str | None, typer.Option(
    "--memory-limit", help="DuckDB memory limit, e.g. 16GB (else EXTRACTOR_MEMORY_LIMIT, else half of what the "
    "process may use)")]
TempDir = Annotated[Path | None, typer.Option(
    "--temp-dir", help="Folder for spill and scratch files (else EXTRACTOR_TEMP_DIR, else OUT/.extractor/work)")]


Engine = Annotated[str, typer.Option(
    "--engine", help="Where the row-level stages run: duckdb (embedded) or spark (local[N], or --spark-master, "
    "or SPARK_REMOTE for Spark Connect); both release the same bytes")]
SparkMaster = Annotated[str | None, typer.Option(
    "--spark-master", help="Spark master URL for --engine spark (default local[N], N = --threads)")]


def _engine(engine: str) -> str:
    from extractor.engine import ENGINES

    if engine not in ENGINES:
        raise ExtractorError(f"--engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    return engine


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


@app.command()
@friendly
def sample(
    kind: Annotated[str, typer.Argument(help="omop (Eunomia) or fhir (carebundle with Consents)")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the sample's files")],
    seed: Annotated[int, typer.Option(help="Random seed of what the sample adds")] = 2026,
) -> None:
    """Write an example's data: OMOP (Eunomia with notes and registers) or a FHIR bulk export with Consents."""
    from extractor.synth import eunomia, fhir_sample
    makers = {"omop": eunomia.write_sample, "fhir": fhir_sample.write_sample}
    if kind not in makers:
        raise ExtractorError(f"extractor sample: expected omop or fhir, got {kind!r}")
    out.print(f"wrote {out_dir}: " + ", ".join(f"{k} {v:,}" for k, v in makers[kind](out_dir, seed=seed).items()))


def _today(text: str | None) -> dt.date | None:
    """--today YYYY-MM-DD, or one line naming the option."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ExtractorError(f"--today: expected a date YYYY-MM-DD, got {text!r}") from None


def _run_one(request: Path, out_root: Path, data_root: Path | None, key_file: Path | None, limits: Limits,
             today: dt.date | None = None, engine: str = "duckdb", spark_master: str | None = None,
             state: str | None = None) -> Any:
    from extractor.config.load import load_config

    cfg = load_config(request, data_root, today)  # a config error is reported before the pipeline is imported
    from extractor.pipeline import STAGES, run_extract
    from extractor.protect.pseudonym import load_master_key

    key = load_master_key(key_file)
    with _progress() as bar:
        task = bar.add_task(f"{cfg.request.id}", total=len(STAGES))
        result = run_extract(cfg, out_root, key, on_stage=lambda s: bar.update(
            task, description=f"{cfg.request.id}: {s}", completed=STAGES.index(s)), limits=limits,
                             engine=engine, spark_master=spark_master, state=state)
        bar.update(task, completed=len(STAGES), description=f"{cfg.request.id}: submitted for review")
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
    today: Annotated[str | None, typer.Option(help="Take this date (YYYY-MM-DD) as today, to replay a scenario; "
                                                   "recorded in the manifest and the report")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print each stage's seconds, peak memory and rows")
                       ] = False,
    engine: Engine = "duckdb", spark_master: SparkMaster = None, state: cli_airlock.State = None,
) -> None:
    """Run one extract request end to end; a run that passes the output check is submitted for review."""
    result = _run_one(request, out_root, data_root, key_file, _limits(threads, memory_limit, temp_dir),
                      _today(today), _engine(engine), spark_master, state)
    if verbose:
        for name, seconds, peak, rows in result.stage_costs():
            shown = "" if rows is None else f"  {rows:>12,} rows"
            out.print(f"{name:<12} {seconds:8.2f} s  peak {peak:8,.0f} MB{shown}")
    out.print(say(Message("submitted for review: %(folder)s (nothing leaves until two output checkers approve and it "
                          "is released)", folder=str(result.run_dir))), markup=False, highlight=False)
    out.print(say(Message("review report %(file)s", file=str(result.run_dir / "review" / "review.html"))),
              markup=False, highlight=False)
    warnings = result.eligibility.warnings if result.eligibility else []
    if warnings:  # the reviewers read them in the report; the one who ran it should not miss them either
        err.print(say(Message("%(n)s warning(s) for the reviewers, in the report's 'Before you decide'; the first: "
                              "%(first)s", n=len(warnings), first=say(warnings[0]))), markup=False, highlight=False)


@app.command()
@friendly
def check(run_dir: Annotated[Path, typer.Argument(help="A run folder or its release/ folder")]) -> None:
    """Re-check a release independently of the run that made it; exit 2 if anything fails."""
    from extractor.checker.release_check import check_release

    folder = RunFolder(run_dir).release if RunFolder(run_dir).release.is_dir() else run_dir
    report = check_release(folder)
    root = store_root(folder)
    if root is not None:
        from extractor.release.store import opened

        with opened(root) as store, store.writing() as w:
            w.append("check", {"folder": folder.resolve().relative_to(root).as_posix(), "passed": report.passed,
                               "findings": report.findings}, run_id=folder.resolve().parent.name)
    for finding in report.findings:
        err.print(f"FAIL {finding}", markup=False, highlight=False)
    if not report.passed:
        raise ExtractorError(Message("%(folder)s: output check failed with %(n)s finding(s)", folder=str(folder),
                                     n=len(report.findings)))
    out.print(say(Message("%(folder)s: output check passed (%(n)s file(s))", folder=str(folder),
                          n=len(report.files))), markup=False, highlight=False)


@app.command()
@friendly
def demo(
    workdir: Annotated[Path, typer.Option(help="Folder for the synthetic registry, key and outputs")] = Path("demo"),
    clients: Annotated[int, typer.Option(min=100, help="Clients in the synthetic registry")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic registry")] = 2026,
    threads: Threads = None, memory_limit: MemoryLimit = None, temp_dir: TempDir = None,
    engine: Engine = "duckdb", spark_master: SparkMaster = None,
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
                                limits, engine=_engine(engine), spark_master=spark_master))
    out.print("\n[bold]Demo outputs[/]")
    for result in results:
        out.print(f"[bold]{result.run_dir.parent.name}[/]")
        out.print(f"  files for release  {result.release_dir} (leave only after two output checkers approve)")
        out.print(f"  DPO review report  {result.run_dir / 'review' / 'review.html'}")
        out.print(f"  patient notices    {result.run_dir / 'notices'}")
    out.print(f"Check a release again with: extractor check {workdir / 'out' / 'AUD-2026-014' / 'latest'}")
    out.print(f"Review them in a browser: extractor users add NAME --admin --out {workdir / 'out'}, then "
              f"extractor serve --out {workdir / 'out'}")

app.command("release")(cli_airlock.release_cmd)
app.add_typer(cli_airlock.audit_app, name="audit")
app.add_typer(cli_airlock.review_app, name="review")
app.add_typer(cli_airlock.notice_app, name="notice")
app.add_typer(cli_web.users_app, name="users")
app.command("serve")(cli_web.serve)
app.command("deidentify")(cli_text.deidentify)
app.command("reidentify")(cli_text.reidentify)
app.add_typer(cli_researcher.catalog_app, name="catalog")
app.command("dummy")(cli_researcher.dummy)
app.command("try")(cli_researcher.try_cmd)
app.command("test")(cli_researcher.test_cmd)
app.command("runner")(cli_researcher.runner_cmd)


def main() -> int:
    """The command line (a mistyped option or value is one line with exit code 2: cli_support.run_app)."""
    return run_app(app, lang_first(sys.argv[1:]))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
