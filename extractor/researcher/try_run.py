"""`extractor try`: the whole pipeline on dummy data with a throwaway key, for the researcher's draft.

The run goes into a temporary output root (its own state store and audit log, removed afterwards), so
nothing reaches the controller's store, log or notices; only the released files and the review report
are copied out, each named DUMMY_… and the manifest marked `"dummy": true`. The disclosure checks run
as on real data; a refusal says that it happened on dummy data and what to try.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from extractor.errors import ExtractorError, RequestMismatch, TooFine
from extractor.i18n import Message
from extractor.machine import Limits
from extractor.researcher.dummy_review import copy_review

STAMP = "DUMMY_"


@dataclass
class Tried:
    out: Path
    files: dict[str, int] = field(default_factory=dict)  # released file -> rows
    dummy_rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def dummy_for(request: Path, out: Path, persons: int, seed: int) -> dict[str, int]:
    """Dummy sources for the request's catalog, shaped by what its queries compare against."""
    from extractor.config.load import load_config
    from extractor.researcher.dummy_data import generate
    from extractor.researcher.query_literals import wanted

    cfg = load_config(request, schema_only=True)
    asked = {}
    for o in cfg.request.outputs:
        asked.update(wanted(o.query.read_text(encoding="utf-8")))
    groups = [g for o in cfg.request.outputs if o.table for g in o.table.groups]
    nested = tuple((a, b) for g in groups for a, b in zip(g, g[1:], strict=False))
    return generate(cfg.catalog, asked, cfg.request.as_of, out, persons, seed, cfg.request.study, nested)


def try_request(request: Path, out: Path, data: Path | None, persons: int, seed: int, limits: Limits) -> Tried:
    from extractor.config.load import load_config
    from extractor.pipeline import run_extract
    from extractor.researcher.dummy_sources import on_dummy_files

    if data is not None and not data.is_dir():
        raise ExtractorError(f"--data: expected a folder of dummy data (from extractor dummy), got {data}")
    t0 = time.perf_counter()
    tried = Tried(out)
    with tempfile.TemporaryDirectory(prefix="extractor-try-") as tmp:
        root = Path(tmp)
        if data is None:
            data = root / "data"
            tried.dummy_rows = dummy_for(request, data, persons, seed)
        cfg = load_config(request, data)
        cfg = replace(cfg, catalog=on_dummy_files(cfg.catalog, data))
        stages: list[str] = []
        try:
            # A key of the seed's own: dummy data hold no one, and the same seed then gives the same pseudonyms
            # and date shifts, so a try repeats exactly (a random key moved dates across age bands and years).
            key = hashlib.sha256(f"extractor try, seed {seed}".encode()).digest()
            result = run_extract(cfg, root / "out", key, limits=limits, trial=True,
                                 on_stage=stages.append)
        except ExtractorError as exc:
            error = exc.args[0] if exc.args else str(exc)  # a Message stays one: said in the reader's language
            earlier = Message(" [the files in %(folder)s are from an earlier try]", folder=str(out)) \
                if out.is_dir() and any(out.iterdir()) else ""
            if stages[-1:] not in (["disclosure"], ["check"]) or isinstance(exc, RequestMismatch | TooFine):
                if not earlier:
                    raise
                raise ExtractorError(Message("%(error)s%(earlier)s", error=error, earlier=earlier),
                                     before_data=exc.before_data) from None
            where = Message("dummy data of %(persons)s persons", persons=persons) if tried.dummy_rows else \
                Message("the data in %(folder)s", folder=str(data))
            raise ExtractorError(Message(
                "%(error)s [tried on %(where)s: the same check runs on the real data; if it refuses only because "
                "dummy groups are small, try --persons %(more)s; but a row per day, per date or per person only "
                "grows with more persons, and then meets the row cap: group more coarsely]%(earlier)s",
                error=error, where=where,
                more=str(persons * 5), earlier=earlier)) from None
        if out.exists() and any(out.iterdir()):
            shutil.rmtree(out)  # the last try's files: one folder per request, the newest try in it
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(result.release_dir.iterdir()):
            if f.name == "manifest.json":
                manifest = json.loads(f.read_text(encoding="utf-8"))
                manifest["dummy"] = True
                manifest["dummy_data"] = ({"persons": persons, "seed": seed, "rows": tried.dummy_rows}
                                          if tried.dummy_rows else {"folder": str(data)})
                (out / f"{STAMP}manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                                           encoding="utf-8")
            elif f.is_file():
                shutil.copyfile(f, out / f"{STAMP}{f.name}")
        for name, rows in result.query_rows.items():
            tried.files[f"{STAMP}{name}.csv"] = rows
        copy_review(result.run_dir / "review", out, STAMP)
    tried.seconds = time.perf_counter() - t0
    return tried
