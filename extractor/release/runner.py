"""`extractor runner`: the controller's process that runs what requesters hand in.

It alone holds the pseudonymisation key; the web airlock records submissions and never sees it. Each
waiting submission is claimed (submissions.claim_next), its files written to a private inbox folder,
and run with the controller's own catalog and policy (whatever the request names), as the account that
handed it in (who therefore may not review it). A run that passes goes to the review queue like any
other; an error is recorded for the requester, with the controller's folders taken out of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

from extractor.errors import ExtractorError
from extractor.machine import Limits
from extractor.release.airlock_state import Submission
from extractor.release.store import opened
from extractor.release.submissions import REQUEST_FILE, claim_next, finish

RUNNER = "runner"


def inbox(out_root: Path) -> Path:
    return out_root / ".extractor" / "inbox"


def _write(folder: Path, sub: Submission) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, text in sub.files.items():
        (folder / name).write_text(text, encoding="utf-8")  # names checked when handed in: no path parts
    return folder / REQUEST_FILE


def _scrub(message: str, places: dict[Path, str]) -> str:
    """The error without the controller's own folders (the requester sees it)."""
    for path, label in sorted(places.items(), key=lambda kv: -len(str(kv[0]))):
        message = message.replace(str(path) + os.sep, label).replace(str(path), label.rstrip("/"))
    return message


def run_one(sub: Submission, out_root: Path, catalog: Path, policy: Path | None, data_root: Path | None,
            key: bytes, limits: Limits, state: str | None, today: dt.date | None) -> tuple[str | None, str]:
    """(run id, "") or (None, the error as the requester may read it)."""
    from extractor.config.load import load_config
    from extractor.pipeline import run_extract

    folder = inbox(out_root) / sub.id
    places = {folder.resolve(): "", catalog.resolve().parent: "<catalog>/", out_root.resolve(): "<airlock>/"}
    if data_root:
        places[data_root.resolve()] = "<data>/"
    try:
        request = _write(folder, sub)
        cfg = load_config(request, data_root, today, controller_files=(catalog, policy))
        if cfg.request.project != sub.project:
            raise ExtractorError(f"request.project is {cfg.request.project!r}, handed in for {sub.project!r}")
        requester = dataclasses.replace(cfg.request.requester, account=sub.account)  # who handed it in
        cfg = dataclasses.replace(cfg, request=dataclasses.replace(cfg.request, requester=requester))
        result = run_extract(cfg, out_root, key, limits=limits, state=state)
        return result.run_id, ""
    except ExtractorError as exc:
        return None, _scrub(str(exc), places)


def serve(out_root: Path, catalog: Path, policy: Path | None, data_root: Path | None, key: bytes, limits: Limits,
          state: str | None = None, once: bool = False, poll: float = 5.0, today: dt.date | None = None,
          report: Callable[[str], None] = print) -> int:
    """Run waiting submissions until none is left (once) or for ever; how many were taken."""
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
        run_id, error = run_one(sub, out_root, catalog, policy, data_root, key, limits, state, today)
        with opened(out_root, state) as store:
            finish(store, sub, RUNNER, run_id, error)
        report(f"{sub.id}: " + (f"run {run_id} queued for review" if run_id else f"failed: {error}"))
