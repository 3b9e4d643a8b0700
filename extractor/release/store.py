"""An output root's state store as the airlock uses it: read the verified state, or change it in one step.

`Store(out_root).reading()` gives the state folded from the verified log; `Store(out_root).writing()`
takes the store's writer lock, brings the state up to date inside that lock (so every check made then is
made on the final state, whatever other processes did), and appends signed records; the records and
the caller's own steps inside the block commit together or not at all. After a commit the new head is
written to OUT/.extractor/audit_head.json, a witness of the log's length (witness.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.errors import ExtractorError
from extractor.release import audit_log, layout, witness
from extractor.release.airlock_state import AirlockState
from extractor.release.audit_log import Record
from extractor.release.signing import Signer, load_signer
from extractor.release.state_db import StateDB, locate


@dataclass
class Writer:
    """Inside one write transaction: the up-to-date state, and appends that fold into it at once."""

    db: StateDB
    state: AirlockState
    signer: Signer
    appended: list[Record]

    def append(self, action: str, details: dict[str, Any], *, request_id: str | None = None,
               run_id: str | None = None, who: str | None = None) -> Record:
        record = audit_log.append(self.db, self.signer, action, details, request_id=request_id, run_id=run_id,
                                  who=who)
        self.state.refresh(self.db)
        self.appended.append(record)
        return record


class Store:
    """One output root's store; a long-lived instance (the web server) keeps its folded state and
    refreshes it incrementally. Thread-safe: one connection per thread, one lock around the state."""

    def __init__(self, out_root: Path, state: str | None = None) -> None:
        self.out_root = out_root.resolve()
        self.location = locate(self.out_root, state)
        self._state: AirlockState | None = None
        self._lock = threading.RLock()
        self._local = threading.local()
        self._signer: Signer | None = None

    def db(self) -> StateDB:
        """This thread's connection to the store."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = StateDB(self.location)
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _exists(self) -> bool:
        return self.location.url is not None or layout.store(self.out_root).exists()

    def reading(self) -> AirlockState:
        """The state as of now, verified (the first call verifies the whole chain). Reading a root that has no
        store yet creates nothing: a run that fails before its record leaves no file behind."""
        with self._lock:
            if self._state is None and not self._exists():
                return AirlockState()
            db = self.db()
            self._state = AirlockState.load(db) if self._state is None else self._state.refresh(db)
            return self._state

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            # A key is made only for a log that has no record yet: a forgotten EXTRACTOR_AUDIT_KEY_FILE must not
            # leave a second key here (records it signed would be refused, and a later verify cry "replaced").
            self._signer = load_signer(self.out_root, create=not (self.out_root / layout.HEAD).exists())
        return self._signer

    def _head_still_in_log(self, db: StateDB) -> None:
        """Refuse to append when the log no longer holds the record its head witness names: appending over
        deleted newest records would move the head past the gap and hide it (a checker's rejection deleted,
        then the run approved and released by others)."""
        head = witness.read(self.out_root / layout.HEAD)
        if head is None:
            return
        seq = int(head["seq"])
        row = db.one("SELECT hash FROM audit_log WHERE seq = ?", [seq])
        if row is None or row[0] != head["hash"]:
            raise ExtractorError(f"{self.out_root / layout.HEAD}: names audit record {seq}, which the log no longer "
                                 "holds as it was: records were deleted or rewritten since. Nothing was recorded; run "
                                 "`extractor audit verify` and restore the store from its backup")

    @contextmanager
    def writing(self) -> Iterator[Writer]:
        signer = self.signer
        with self._lock:
            db = self.db()
            try:
                with db.writing():
                    self._head_still_in_log(db)
                    state = AirlockState.load(db) if self._state is None else self._state.refresh(db)
                    writer = Writer(db, state, signer, [])
                    yield writer
            except BaseException:
                self._state = None  # what was folded inside the rolled-back transaction is forgotten
                raise
            self._state = state
        if writer.appended:
            witness.write_head(self.out_root, writer.appended[-1], signer.public)


@contextmanager
def opened(out_root: Path, state: str | None = None) -> Iterator[Store]:
    store = Store(out_root, state)
    try:
        yield store
    finally:
        store.close()
