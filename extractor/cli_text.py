"""`extractor deidentify` and `reidentify`: free text outside a request, and the controller's way back to a person."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extractor.cli_support import friendly, out
from extractor.errors import ExtractorError


@friendly
def deidentify(
    source: Annotated[Path, typer.Argument(help="A .csv, .parquet or .jsonl file")],
    text_column: Annotated[str, typer.Option("--text-column", help="The column of free text to de-identify")],
    to: Annotated[Path, typer.Option("--out", help="Output file (.csv, .parquet or .jsonl): every column, the "
                                     "text column de-identified")],
    spans: Annotated[Path | None, typer.Option("--spans", help="Also write each identifier found as a JSON line: "
                                               "row, start, end, entity, score (offsets into the original)")] = None,
    lang: Annotated[str, typer.Option("--lang", help="auto (each note's own), fi, sv or en")] = "auto",
    unknown_words: Annotated[str, typer.Option(
        "--unknown-words", help="redact (default): a word no dictionary knows is removed as a possible name; keep")
    ] = "redact",
    allow: Annotated[list[str] | None, typer.Option(
        "--allow", help="A term of your own that is never a name (repeat): a service, a place, a product")] = None,
    dates: Annotated[str, typer.Option(
        "--dates", help="month (default): each date written in the texts becomes its month (12.3.2024 → "
                        "maaliskuu 2024), as in a request's notes; keep")] = "month",
) -> None:
    """De-identify one text column of a file: names, identity codes, phones, e-mails, addresses, accounts;
    dates become their month. A CSV may be UTF-8 or Windows-1252, separated by commas, semicolons or tabs."""
    from extractor.freetext.deidentify import deidentify_file
    from extractor.freetext.names import SecondLine

    if unknown_words not in ("redact", "keep"):
        raise ExtractorError(f"--unknown-words: expected redact or keep, got {unknown_words!r}")
    second = SecondLine(unknown_words == "redact", frozenset(t.lower() for t in allow or ()))
    result = deidentify_file(source, text_column, to, spans, lang, second, dates)
    found = result.spans.group_by("entity").len().sort("entity").iter_rows()
    languages = ", ".join(f"{n:,} {lang_}" for lang_, n in sorted(result.languages.items()))
    out.print(f"wrote {to}: {result.texts.len():,} rows ({languages}); found "
              + (", ".join(f"{n:,} {e}" for e, n in found) or "nothing")
              + (f"; {result.dates:,} dates generalised to their month" if dates == "month" else "; dates kept")
              + f"; Finnish inflection by {result.analyser}")


@friendly
def reidentify(
    run_dir: Annotated[Path, typer.Argument(help="A run folder holding controller/reidentification_map.csv.fernet")],
    to: Annotated[Path, typer.Option("--to", help="Where to write the decrypted map (must not exist)")],
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else EXTRACTOR_KEY)")] = None,
) -> None:
    """Controller only: decrypt a run's pseudonym -> person map (for consent-based re-contact)."""
    from extractor.protect.pseudonym import load_master_key
    from extractor.protect.reidentify import decrypt_map

    persons = decrypt_map(run_dir, to, load_master_key(key_file))
    out.print(f"wrote {to} ({persons} persons, mode 600)")
