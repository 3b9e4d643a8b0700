"""The airlock's commands: `review`, `release`, `audit`, `notice`, `users` and `serve` (cli.py adds them).

The same functions of release/ and reports/ serve these commands and the web airlock. A decision or a
release is made by an account, signed in with its password (EXTRACTOR_PASSWORD or a prompt), and
allowed or refused by release/access.py exactly as in the browser. Accounts are managed by whoever runs
the controller's machine (every change is an audit record naming them).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from extractor import i18n
from extractor.cli_support import SIGNED_IN, err, friendly, out, say, speaking
from extractor.i18n import N_, Message
from extractor.reports.labels import DECISIONS, STATUSES

WARNING = N_("warning")
audit_app = typer.Typer(help="The signed, hash-chained audit log of an output root.", no_args_is_help=True)
review_app = typer.Typer(help="Two independent output checkers decide on a submitted run.", no_args_is_help=True)
notice_app = typer.Typer(help="Notices built from the audit log.", no_args_is_help=True)

OutRoot = Annotated[Path, typer.Option("--out", help="The output root holding the runs and the store")]
State = Annotated[str | None, typer.Option(
    "--state", help="The state store: 'sqlite' (OUT/.extractor/state.sqlite, the default) or a postgresql:// "
    "connection string (else EXTRACTOR_STATE)")]
Who = Annotated[str | None, typer.Option("--as", help="Your airlock account (else your login name); its password "
                                                      "from EXTRACTOR_PASSWORD or a prompt")]


def _signed_in(store: object, who: str | None) -> str:
    """The account name after its password was checked; one line and exit 2 otherwise."""
    from extractor.errors import ExtractorError
    from extractor.release import accounts, audit_log

    name = who or audit_log.actor()
    password = os.environ.get("EXTRACTOR_PASSWORD") or typer.prompt(f"Password for {name}", hide_input=True)
    account = accounts.authenticate(store, name, password)  # type: ignore[arg-type]
    if account is None:
        raise ExtractorError(Message("--as %(name)s: wrong account name or password (or the account is disabled)",
                                     name=name))
    SIGNED_IN["language"] = account.language
    return account.name


@audit_app.command("verify")
@friendly
def audit_verify(out_root: OutRoot = Path("out"), state: State = None,
                 witness: Annotated[list[Path] | None, typer.Option(
                     "--witness", help="Also check this witness (a release receipt, a notice, a folder of them)")
                 ] = None,
                 public_key: Annotated[str | None, typer.Option(
                     help="The log's public key (base64), if this process cannot read the signing key")
                 ] = None) -> None:
    """Check the chain, every signature, the key, the credentials and every witness; exit 2 naming what does
    not fit."""
    from extractor.release.verify import verify_store

    v = verify_store(out_root, state, witness or [], public_key)
    out.print(say(Message("audit log verified: %(records)s record(s), every one signed by key %(key)s (pinned by "
                          "%(pinned)s); %(witnesses)s witness(es) agree; head %(head)s", records=v.records,
                          key=v.key or "-", pinned=Message(v.key_pinned_by) if v.key_pinned_by else "-",
                          witnesses=v.witnesses, head=v.head or "-")), markup=False, highlight=False)
    for folder in v.witness_folders:
        out.print("  " + say(Message("witnesses looked for in %(folder)s", folder=str(folder))), markup=False,
                  highlight=False)
    for warning in v.warnings:
        err.print(f"{say(Message(WARNING))}: {say(warning)}", markup=False, highlight=False)


@audit_app.command("show")
@friendly
def audit_show(out_root: OutRoot = Path("out"), state: State = None,
               run: Annotated[str | None, typer.Option(help="Only this run's records")] = None) -> None:
    """List the audit records (optionally of one run)."""
    from extractor.release import audit_log
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        store.reading()  # verified first
        for r in audit_log.read(store.db(), run_id=run):
            out.print(f"{r.seq}  {r.recorded_at}  {r.actor}  {r.action}  {r.request_id or '-'}  {r.run_id or '-'}",
                      markup=False, highlight=False)


@review_app.command("decide")
@friendly
def review_decide(run_id: Annotated[str, typer.Argument(help="The run to decide on")],
                  decision: Annotated[str, typer.Option(help="approve, return or reject")],
                  out_root: OutRoot = Path("out"), state: State = None, who: Who = None,
                  comment: Annotated[str, typer.Option(help="Why (required to return or reject)")] = "") -> None:
    """Record your decision on a submitted run (you must be an output checker of its project)."""
    from extractor.release import workflow
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        status = workflow.decide(store, _signed_in(store, who), run_id, decision, comment)
    out.print(say(Message("run %(run)s: decision recorded; status %(status)s", run=run_id,
                          status=Message(STATUSES.get(status, status)))), markup=False, highlight=False)


@review_app.command("status")
@friendly
def review_status(run_id: Annotated[str, typer.Argument(help="The run")], out_root: OutRoot = Path("out"),
                  state: State = None, who: Who = None) -> None:
    """A run's status and the decisions you may see (blind until both checkers have decided)."""
    from extractor.release import workflow
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        name = _signed_in(store, who)
        current = store.reading()
        run = current.runs.get(run_id)
        workflow.allowed(current.account(name), "see_run", run)
        out.print(say(Message("run %(run)s: %(status)s", run=run_id, status=Message(STATUSES.get(run.status,
                                                                                                   run.status)))),
                  markup=False, highlight=False)
        for r in workflow.visible_reviews(run, name):
            out.print(f"  {i18n.date(r.at, speaking())} {r.reviewer}: "
                      f"{say(Message(DECISIONS.get(r.decision, r.decision)))} {r.comment}", markup=False,
                      highlight=False)


@friendly
def release_cmd(run_id: Annotated[str, typer.Argument(help="The approved run to release")],
                to: Annotated[Path, typer.Option("--to", help="The release folder")],
                out_root: OutRoot = Path("out"), state: State = None, who: Who = None) -> None:
    """Copy an approved run's release folder (re-checked) to the release folder, with its audit receipt."""
    from extractor.release import workflow
    from extractor.release.store import opened

    with opened(out_root, state) as store:
        final = workflow.release(store, _signed_in(store, who), run_id, to)
    out.print(say(Message("released %(folder)s", folder=str(final))), markup=False, highlight=False)


@notice_app.command("practice")
@friendly
def notice_practice(year: Annotated[int, typer.Option(help="The calendar year")],
                    organisation: Annotated[list[str], typer.Option(
                        help="The practice or controller as patients know it: once per language (fi=…, sv=…, "
                             "en=…), or one name for all")],
                    to: Annotated[Path, typer.Option("--to", help="Folder for the notices")],
                    out_root: OutRoot = Path("out"), state: State = None) -> None:
    """'How your data were used this year', in Finnish, Swedish and English, from the verified audit log."""
    from extractor.release.store import opened
    from extractor.reports.periodic import organisation_names, practice_notice

    names = organisation_names(organisation)  # a missing language is refused before the log is opened
    with opened(out_root, state) as store:
        for path in practice_notice(store, year, names, to):
            out.print(f"wrote {path}")


@notice_app.command("person")
@friendly
def notice_person(person: Annotated[str, typer.Argument(help="The person's key in the registry")],
                  to: Annotated[Path, typer.Option("--to", help="Folder for the statements")],
                  out_root: OutRoot = Path("out"), state: State = None,
                  key_file: Annotated[Path | None, typer.Option(help="Key file (else EXTRACTOR_KEY)")] = None,
                  catalog: Annotated[Path | None, typer.Option(
                      help="The registry's catalog: a key no released extract recorded is looked for in its "
                           "tables and registers before a statement says the data were not in the material")] = None,
                  data_root: Annotated[Path | None, typer.Option(
                      help="The catalog's data folder, if not its own root")] = None) -> None:
    """One person's statement: which released extracts' material held their records, which left them out by
    their choice; a key nobody holds is a warning (exit 1) and nothing is written."""
    from extractor.protect.pseudonym import load_master_key
    from extractor.release.store import opened
    from extractor.reports.periodic import UnknownPerson, person_statement

    with opened(out_root, state) as store:
        try:
            paths = person_statement(store, load_master_key(key_file), person, to, catalog, data_root)
        except UnknownPerson as exc:
            err.print(f"warning: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    for path in paths:
        out.print(f"wrote {path}")


@notice_app.command("pdf")
@friendly
def notice_pdf(run_dir: Annotated[Path, typer.Argument(help="A run folder (OUT/<request id>/<run id>)")]) -> None:
    """Print-ready PDFs of a run's notices (fi, sv, en) for paper distribution, through Chromium."""
    from extractor.reports.print_pdf import notices_to_pdf
    for path in notices_to_pdf(run_dir):
        out.print(f"wrote {path}")
