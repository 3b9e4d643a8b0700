"""The airlock's commands: `review`, `release`, `audit` and `notice` (cli.py adds them to the app).

The same functions of release/ and reports/ serve these commands (and, later, the web airlock).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extractor.cli_support import friendly, out

audit_app = typer.Typer(help="The hash-chained audit log of an output root.", no_args_is_help=True)
review_app = typer.Typer(help="Two independent reviewers decide on a submitted run.", no_args_is_help=True)
notice_app = typer.Typer(help="Notices built from the audit log.", no_args_is_help=True)

OutRoot = Annotated[Path, typer.Option("--out", help="The output root holding the runs and the store")]
Who = Annotated[str | None, typer.Option("--as", help="Who is acting (else EXTRACTOR_ACTOR or the login name)")]


@audit_app.command("verify")
@friendly
def audit_verify(out_root: OutRoot = Path("out")) -> None:
    """Recompute the hash chain; exit 2 naming the first record that was edited, deleted or reordered."""
    from extractor.release import audit_log
    n, anchors, head = audit_log.verify_store(out_root)
    out.print(f"audit log verified: {n} record(s), {anchors} run anchor(s), head {head or '-'}")


@audit_app.command("show")
@friendly
def audit_show(out_root: OutRoot = Path("out"), run: Annotated[str | None, typer.Option()] = None) -> None:
    """List the audit records (optionally of one run)."""
    from extractor.release import audit_log
    for row in audit_log.records(out_root, run):
        out.print("  ".join(str(v) for v in row), markup=False, highlight=False)


@review_app.command("decide")
@friendly
def review_decide(run_id: str, decision: Annotated[str, typer.Option(help="approve, return or reject")],
                  out_root: OutRoot = Path("out"), who: Who = None,
                  comment: Annotated[str, typer.Option()] = "") -> None:
    """Record one reviewer's decision on a submitted run."""
    from extractor.release import audit_log, workflow
    with audit_log.opened(out_root) as con:
        status = workflow.decide(con, run_id, who or audit_log.actor(), decision, comment)
    out.print(f"run {run_id}: decision recorded; status {status}")


@review_app.command("status")
@friendly
def review_status(run_id: str, out_root: OutRoot = Path("out"), who: Who = None) -> None:
    """A run's status and the decisions this reviewer may see."""
    from extractor.release import audit_log, workflow
    with audit_log.opened(out_root) as con:
        status, rows = workflow.visible_reviews(con, run_id, who or audit_log.actor())
    out.print(f"run {run_id}: {status}")
    for reviewer, decision, comment, at in rows:
        out.print(f"  {at} {reviewer}: {decision} {comment}", markup=False, highlight=False)


@friendly
def release_cmd(run_id: str, to: Annotated[Path, typer.Option("--to", help="The release folder")],
                out_root: OutRoot = Path("out")) -> None:
    """Copy an approved run's release folder (re-checked) to the release folder."""
    from extractor.release import audit_log, workflow
    with audit_log.opened(out_root) as con:
        final = workflow.release(con, run_id, to)
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


@notice_app.command("pdf")
@friendly
def notice_pdf(run_dir: Annotated[Path, typer.Argument(help="A run folder (OUT/<request id>/<run id>)")]) -> None:
    """Print-ready PDFs of a run's notices (fi, sv, en) for paper distribution, through Chromium."""
    from extractor.reports.print_pdf import notices_to_pdf
    for path in notices_to_pdf(run_dir):
        out.print(f"wrote {path}")


users_app = typer.Typer(no_args_is_help=True, help="Local accounts for the web airlock (`extractor serve`).")


@users_app.command("add")
@friendly
def users_add(name: str, role: Annotated[str, typer.Option(help="reviewer, requester or admin")] = "reviewer",
              out_root: OutRoot = Path("out")) -> None:
    """Add an account; the password comes from EXTRACTOR_PASSWORD or is asked for (never on the command line)."""
    import os

    from extractor.web.accounts import add_user
    password = os.environ.get("EXTRACTOR_PASSWORD") or typer.prompt("Password", hide_input=True,
                                                                     confirmation_prompt=True)
    add_user(out_root, name, role, password)
    out.print(f"user {name} added ({role})")


@friendly
def serve(out_root: OutRoot = Path("out"),
          to: Annotated[Path, typer.Option("--to", help="Where approved runs are released")] = Path("released"),
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8765,
          trusted_header: Annotated[str | None, typer.Option(help="Take the user from this header, set by the "
                                                             "single sign-on proxy in front (off by default)")] = None,
          session_minutes: Annotated[int, typer.Option(min=1)] = 30) -> None:
    """The airlock in a browser on 127.0.0.1: queue, runs, decisions, release, audit log."""
    import uvicorn

    from extractor.web.app import create_app
    out.print(f"airlock for {out_root} on http://127.0.0.1:{port}/ (Ctrl-C stops it)")
    uvicorn.run(create_app(out_root, to, trusted_header, session_minutes * 60.0), host="127.0.0.1", port=port,
                log_level="warning")
