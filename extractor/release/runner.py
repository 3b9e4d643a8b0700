"""`extractor runner`: the controller's process that runs what requesters hand in.

It alone holds the pseudonymisation key; the web airlock records submissions and never sees it. Each
waiting submission is claimed (submissions.claim_next), its files written to a private inbox folder,
and run with the controller's own catalog and policy (whatever the request names), as the account that
handed it in (who therefore may not review it), with the dates the controller's permit record holds and
today's date. Everything the request reads must be a file handed in with it (builtin hierarchies only).
A run that passes goes to the review queue like any other. What the requester is told of a failure:
errors raised before any record was read (the request's keys, the query's names and syntax), with the
controller's folders taken out; anything later may carry values from the data and is told to the
controller only (the requester learns the stage). Such a stop still tells the requester one thing about
the data (that the run stopped), so each is recorded as one, and an account's hand-ins wait once it has
had MAX_DATA_STOPS of them in a day (submissions.hand_in). No submission can stop the runner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from extractor.config.permits import Permits
from extractor.errors import ExtractorError
from extractor.i18n import LANGUAGES, N_, Message, said
from extractor.machine import Limits
from extractor.release.airlock_state import Submission
from extractor.release.store import opened
from extractor.release.submissions import REQUEST_FILE, claim_next, finish, recover

RUNNER = "runner"


def inbox(out_root: Path) -> Path:
    return out_root / ".extractor" / "inbox"


def _write(folder: Path, sub: Submission) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, text in sub.files.items():
        (folder / name).write_text(text, encoding="utf-8")  # names checked when handed in: no path parts
    return folder / REQUEST_FILE


def folder_forms(folders: dict[Path, str]) -> dict[str, str]:
    """Each controller folder in every form a message may name it: resolved, absolute, and as given (a relative
    form only with its separator after it, so that a word such as 'airlock' in the text stays)."""
    forms: dict[str, str] = {}
    for path, label in folders.items():
        for form in (str(path.resolve()), str(path.absolute())):
            forms[form + os.sep], forms[form] = label, label.rstrip("/")
        if not path.is_absolute() and str(path) not in (".", ""):
            forms.setdefault(str(path) + os.sep, label)
    return forms


def without_folders(message: str, places: dict[str, str]) -> str:
    """The error without the controller's own folders (the requester sees it): the longest form first."""
    for form, label in sorted(places.items(), key=lambda kv: -len(kv[0])):
        message = message.replace(form, label)
    return message


def confined(cfg: object, folder: Path) -> None:
    """Every file the request reads is one handed in with it (its queries): no path leads elsewhere."""
    inside = folder.resolve()
    for i, out in enumerate(cfg.request.outputs):  # type: ignore[attr-defined]
        if out.query.resolve().parent != inside:
            raise ExtractorError(f"outputs[{i}].query: expected the name of a query file handed in with the "
                                 "request", before_data=True)
        a = out.anonymisation
        for col, spec in (a.quasi_identifiers.items() if a else ()):
            if not spec.startswith("builtin:"):
                raise ExtractorError(f"outputs[{i}].quasi_identifiers.{col}: a request handed in through the "
                                     "airlock uses builtin hierarchies (builtin:NAME); ask the controller for "
                                     "another", before_data=True)


# The pipeline's stages as a requester reads them (pipeline.py's on_stage names).
STAGE_NAMES = {"sources": N_("sources"), "eligibility": N_("eligibility"), "protect": N_("protection"),
               "query": N_("query"), "disclosure": N_("disclosure control"), "check": N_("output check"),
               "release": N_("release")}


def run_one(sub: Submission, out_root: Path, catalog: Path, policy: Path | None, data_root: Path | None,
            key: bytes, limits: Limits, permits: Permits, state: str | None = None,
            today: dt.date | None = None) -> tuple[str | None, dict[str, str], str, bool]:
    """(run id, {}, "", False) or (None, the error as the requester may read it in each language, the whole
    error for the controller, whether it stopped after reading the real data)."""
    from extractor.config.load import load_config
    from extractor.pipeline import run_extract

    folder = inbox(out_root) / sub.id
    folders = {folder: "", catalog.parent: "<catalog>/", out_root: "<airlock>/"}
    if data_root:
        folders[data_root] = "<data>/"
    places = folder_forms(folders)
    stages: list[str] = []
    try:
        request = _write(folder, sub)
        cfg = load_config(request, data_root, today, controller_files=(catalog, policy))
        confined(cfg, folder)
        permits.check(cfg.request, sub.project)
        requester = dataclasses.replace(cfg.request.requester, account=sub.account)  # who handed it in
        cfg = dataclasses.replace(cfg, request=dataclasses.replace(cfg.request, requester=requester))
        result = run_extract(cfg, out_root, key, limits=limits, state=state, on_stage=stages.append)
        return result.run_id, {}, "", False
    except ExtractorError as exc:
        whole = without_folders(str(exc), places)
        if exc.before_data:
            told = exc.args[0] if exc.args and isinstance(exc.args[0], Message) else whole
            return None, _in_every_language(told, places), whole, False
        return None, _in_every_language(_withheld(stages), places), whole, True
    except Exception:  # noqa: BLE001 - no submission may stop the runner; the controller gets the traceback
        return None, _in_every_language(_withheld(stages, internal=True), places), traceback.format_exc(limit=5), \
            bool(stages)


def _in_every_language(told: object, places: object) -> dict[str, str]:
    """What the requester is told, in each language the airlock speaks (the runner does not know theirs)."""
    return {lang: without_folders(said(told, lang), places) for lang in LANGUAGES}


def _withheld(stages: list[str], internal: bool = False) -> Message:
    what = Message("an internal error") if internal else Message("a check or the query itself")
    if stages:
        return Message("the run stopped at the %(stage)s stage on the real data (%(what)s); its message may contain "
                       "values from the data, so it went to the controller, not to you. Try the request with "
                       "`extractor try` on dummy data, and ask the controller if it passes there",
                       stage=Message(STAGE_NAMES.get(stages[-1], stages[-1])), what=what)
    return Message("the run stopped on the real data (%(what)s); its message may contain values from the data, so "
                   "it went to the controller, not to you. Try the request with `extractor try` on dummy data, and "
                   "ask the controller if it passes there", what=what)


def serve(out_root: Path, catalog: Path, policy: Path | None, data_root: Path | None, key: bytes, limits: Limits,
          permits: Permits, state: str | None = None, once: bool = False, poll: float = 5.0,
          today: dt.date | None = None, report: Callable[[str], None] = print) -> int:
    """Run waiting submissions until none is left (once) or for ever; how many were taken."""
    with opened(out_root, state) as store:
        for sub_id in recover(store, RUNNER):
            report(f"{sub_id}: its runner had died while running it: marked failed")
    taken = 0
    while True:
        with opened(out_root, state) as store:
            sub = claim_next(store, RUNNER)
        if sub is None:
            if once:
                return taken
            time.sleep(poll)
            continue
        taken += 1
        report(f"{sub.id}: {sub.request_id} from {sub.account} (project {sub.project}): running")
        run_id, told, whole, on_data = run_one(sub, out_root, catalog, policy, data_root, key, limits, permits,
                                               state, today)
        with opened(out_root, state) as store:
            finish(store, sub, RUNNER, run_id, told, on_data)
        report(f"{sub.id}: " + (f"run {run_id} queued for review" if run_id else f"failed: {whole}"))
