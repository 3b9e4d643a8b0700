"""The researcher's commands: `catalog show`, `dummy`, `try`, `test`. None needs the key or the real data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extractor.cli_support import friendly, out
from extractor.errors import ExtractorError

catalog_app = typer.Typer(no_args_is_help=True, help="The codebook: what a query may read, for each purpose.")

Persons = Annotated[int, typer.Option("--persons", min=10, help="Persons in the dummy registry")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same dummy data")]


def _catalog_and_policy(source: Path | None, policy: Path | None, purpose: str | None) -> tuple:
    """(catalog, policy, purpose): SOURCE is a catalog or a request (then its catalog, policy and purpose)."""
    from extractor.config.catalog import load_catalog
    from extractor.config.policy import default_policy_path, load_policy
    from extractor.config.toml_fields import load_toml
    from extractor.shipped import shipped

    source = source or shipped("examples", "registry", "catalog.toml")
    f = load_toml(source, "catalog or request")
    if "request" in f.data:  # only the keys that find the catalog: a draft need not be complete to read it
        head = f.table("request")
        catalog = load_catalog(head.path_value("catalog"), schema_only=True)
        policy_path = policy or head.path_value("policy", None) or default_policy_path()
        purpose = purpose or head.str("purpose", None)
    else:
        catalog = load_catalog(source, schema_only=True)
        policy_path = policy or default_policy_path()
    loaded = load_policy(policy_path)
    if purpose is not None and purpose not in loaded.purposes:
        raise ExtractorError(f"--purpose: expected one of {', '.join(loaded.purposes)} ({policy_path.name}), "
                             f"got {purpose!r}")
    return catalog, loaded, purpose


@catalog_app.command("show")
@friendly
def catalog_show(
    source: Annotated[Path | None, typer.Argument(
        help="A catalog or a request (TOML); default: the demo registry's catalog")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="Only this purpose's outputs, rules and "
                                                "thresholds (default: the request's, or every purpose)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, markdown or html")] = "text",
    lang: Annotated[str, typer.Option("--lang", help="Language of labels and descriptions: fi, sv or en")] = "en",
    policy: Annotated[Path | None, typer.Option("--policy", help="The controller's policy (default: the "
                                                "request's, else the shipped default)")] = None,
    to: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the terminal")] = None,
) -> None:
    """Every table and column a query may read: type, role, description, codes, what the sandbox does."""
    from extractor.researcher.codebook import FORMATS, build, render_as

    if fmt not in FORMATS:
        raise ExtractorError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if lang not in ("fi", "sv", "en"):
        raise ExtractorError(f"--lang: expected fi, sv or en, got {lang!r}")
    catalog, loaded, chosen = _catalog_and_policy(source, policy, purpose)
    text = render_as(build(catalog, loaded, chosen), fmt, lang)
    if to is None:
        typer.echo(text, nl=False)
    else:
        to.parent.mkdir(parents=True, exist_ok=True)
        to.write_text(text, encoding="utf-8")
        out.print(f"wrote {to}")


@friendly
def dummy(
    request: Annotated[Path, typer.Argument(help="The extract request (TOML)")],
    to: Annotated[Path, typer.Option("--out", help="Folder for the dummy registry (run it with --data-root)")],
    persons: Persons = 20_000, seed: Seed = 1,
) -> None:
    """Write a dummy registry for the request's catalog: its tables, types and code lists, no real record."""
    from extractor.researcher.try_run import dummy_for

    rows = dummy_for(request, to, persons, seed)
    out.print(f"wrote dummy data to {to}: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))


@friendly
def try_cmd(
    request: Annotated[Path, typer.Argument(help="The extract request (TOML)")],
    to: Annotated[Path | None, typer.Option("--out", help="Folder for the DUMMY_ files (default try/<request id>)")
                  ] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Run on this dummy registry (from extractor dummy) "
                                              "instead of generating one")] = None,
    persons: Persons = 20_000, seed: Seed = 1,
    threads: Annotated[int | None, typer.Option("--threads", min=1, help="Threads (else EXTRACTOR_THREADS, else "
                                                "the CPUs this process may use)")] = None,
) -> None:
    """Run the request on dummy data with a throwaway key: outputs stamped DUMMY, nothing recorded."""
    from extractor.config.request import load_request
    from extractor.machine import resolve
    from extractor.researcher.try_run import try_request

    folder = to or Path("try") / load_request(request).id
    tried = try_request(request, folder, data, persons, seed, resolve(threads))
    for name, rows in tried.files.items():
        out.print(f"  {name}: the query returned {rows:,} rows")
    out.print(f"tried on dummy data in {tried.seconds:.1f} s; DUMMY files and the checker's report in {folder} "
              "(nothing submitted, nothing recorded)")


@friendly
def test_cmd(
    request: Annotated[Path, typer.Argument(help="The extract request (TOML) with [[tests]], or with --tests")],
    tests: Annotated[Path | None, typer.Option("--tests", help="A TOML file of [[tests]] (default: the request's "
                                               "own)")] = None,
) -> None:
    """Run the request's query tests: given rows per table, the rows each output must return."""
    from extractor.researcher.query_tests import run_tests

    report = run_tests(request, tests)
    for line in report.lines:
        out.print(line, markup=False, highlight=False)
    if report.failed:
        raise ExtractorError(f"{report.failed} of {report.total} query test(s) failed")
    out.print(f"{report.total} query test(s) passed")


@friendly
def runner_cmd(
    catalog: Annotated[Path, typer.Option("--catalog", help="The controller's catalog: every request handed in "
                                          "runs on it, whatever the request names")],
    permits: Annotated[Path, typer.Option("--permits", help="The controller's record of data permits (TOML: "
                                          "project, granted_on, purposes, as_of): a request's permit and dates "
                                          "must match it")],
    out_root: Annotated[Path, typer.Option("--out", help="The airlock's output root (its store and queue)")] = Path(
        "out"),
    policy: Annotated[Path | None, typer.Option("--policy", help="The controller's policy (default: the shipped "
                                                "one)")] = None,
    data_root: Annotated[Path | None, typer.Option(help="Folder of the source files (overrides catalog.root)")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else EXTRACTOR_KEY)")] = None,
    once: Annotated[bool, typer.Option("--once", help="Run what is waiting, then stop (else poll for ever)")] = False,
    poll: Annotated[float, typer.Option("--poll", min=0.5, help="Seconds between looks at the queue")] = 5.0,
    state: Annotated[str | None, typer.Option("--state", help="A shared state store (postgresql://…), else the "
                                              "output root's own")] = None,
) -> None:
    """Controller only: run the requests requesters hand in through the airlock, then queue them for review."""
    from extractor.config.catalog import load_catalog
    from extractor.config.permits import load_permits
    from extractor.machine import resolve
    from extractor.protect.pseudonym import load_master_key
    from extractor.release.runner import serve

    load_catalog(catalog, data_root)  # a broken catalog stops the runner, not each request
    recorded = load_permits(permits)
    key = load_master_key(key_file)
    taken = serve(out_root, catalog.resolve(), policy.resolve() if policy else None,
                  data_root.resolve() if data_root else None, key, resolve(), recorded, state, once, poll,
                  report=lambda line: out.print(line, markup=False, highlight=False))
    out.print(f"runner: {taken} submission(s) taken")
