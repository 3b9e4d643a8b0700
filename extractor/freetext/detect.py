"""Find identifiers in a column of notes, fast: de-duplicate, pre-filter in Polars, analyse on both cores.

presidio costs about half a millisecond a note, most of it in recognizers that cannot match: an e-mail
needs an '@', an identity code six digits and a century sign. Each recognizer family has a cheap
superset regex that Polars runs over the whole column in Rust; a note is then analysed only for the
entities it could hold. Notes that can hold nothing but names skip presidio's pipeline and go straight
to the same name recognizer. Distinct notes are analysed once; large batches are spread over a process
pool whose workers fork from a server that has the analyzer loaded.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import multiprocessing
import os
import threading
from collections.abc import Iterator

import polars as pl
from phonenumbers.phonenumberutil import _VALID_PUNCTUATION  # the matcher's own separators

from extractor import hetu
from extractor.freetext import iban, names
from extractor.freetext.language import LANGUAGES, detect_languages
from extractor.freetext.recognizers import (
    ADDRESS_PREFILTER,
    NAMED_ADDRESS_PREFILTER,
    PO_BOX_PREFILTER,
    SPACED_HETU,
    STREET_FORMS_PREFILTER,
    STREET_WORDS,
)

MIN_SCORE = 0.5
PERSON = "PERSON"


def _without_boundaries(pattern: str) -> str:
    """The pattern without its word boundaries: it matches more, so it stays a superset, and runs fast."""
    return pattern.replace(r"\b", "")


# entity -> a regex every text the entity's recognizer can match also matches (case-insensitive, as presidio).
# No \b in these: a Unicode word boundary sends Rust's regex to its slow engine (100x on a column).
PREFILTERS: dict[str, str] = {
    "EMAIL_ADDRESS": r"@",
    "FI_PERSONAL_IDENTITY_CODE": "(?i)" + _without_boundaries(hetu.PATTERN) + "|" + _without_boundaries(SPACED_HETU),
    "FI_BUSINESS_ID": r"\d{7}-\d",
    "IBAN_CODE": iban.PREFILTER,
    "FI_ADDRESS": r"(?i)" + ADDRESS_PREFILTER + "|" + STREET_WORDS + "|" + PO_BOX_PREFILTER  # a street, a box
                  + "|" + STREET_FORMS_PREFILTER  # a street without its number, in any case
                  + "|esplanadi|bulevardi|bulevarden"  # named without a street word (SV_STREET_PATTERN)
                  + "|" + NAMED_ADDRESS_PREFILTER,  # any street after the word "address"
    "FI_POSTAL_CODE": r"(?:^|\D)\d{5}(?:\D|$)",  # five digits no digit touches (\b\d{5}\b), not inside 250598-449X
}
# Phones, by what libphonenumber's matcher can find: digits joined by at most four of the characters it lets
# stand between them (its own list, read case-insensitively as it reads it) make a chain, and a number it
# accepts for Finland has at least six digits in one chain. A chain that is just a calendar date whose day
# has no leading zero (16.3.2023, 1.12.25) is never one (01.3.2023 can be: 013 is an area code), and nor is a
# range of two such dates (15.7.–12.8.2026, 1.1. - 16.6.23): the matcher reads the whole range, then the
# pieces its dashes, dots and spaces cut it into, each a date as above or of five digits or fewer. A chain
# that is an identity code's digits (131052-308T, 151055-2876) may read as a number (050598-4491: a mobile
# number), but the matcher reads it whole (a hyphen without spaces cuts nothing), so every number it finds
# there holds the code, and the recognizer drops a number that holds an identity code. None of these is let
# off when a plus sign or bracket (+27.8.2025: South Africa) or an extension mark (3 # 12.05.2023: a number,
# then 05.2023 on its own) comes before it: those are read with the chain.
# tests/test_freetext_phone_prefilter.py proves these facts for the pinned library and holds the prefilter
# to the recognizer on generated text.
DIGIT_CHAIN = r"\d(?:(?i:[" + _VALID_PUNCTUATION + r"]){0,4}\d)*"
_LEAD = "[+\uFF0B(\\[\uFF08\uFF3B]"  # what may open a number (the matcher's lead class)
# The matcher's extension labels (phonenumberutil._create_extn_pattern: explicit and ambiguous ones).
_EXTENSION = ("(?:e?xt(?:ensi(?:o\u0301?|\u00F3))?n?|\uFF45?\uFF58\uFF54\uFF4E?|\u0434\u043E\u0431|anexo"
              "|[x\uFF58#\uFF03~\uFF5E]|int|\uFF49\uFF4E\uFF54)")
_BETWEEN = "[ \u00A0\t,\\-:.\uFF0E=;]*"  # what may stand between a label and its digits (and more)
CHAIN_IN_CONTEXT = "(?i:" + _LEAD + "|" + _EXTENSION + ")?" + _BETWEEN + DIGIT_CHAIN
DAY_MONTH = r"(?:[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\."
CALENDAR_DATE = DAY_MONTH + r"(?:(?:19|20)\d\d|\d\d)"
RANGE_DASH = "[ \u00A0]?[\\-\u2010-\u2015\u2212][ \u00A0]?"  # a hyphen, a dash or a minus, a space either side
DATE_RANGE = DAY_MONTH + RANGE_DASH + CALENDAR_DATE
HETU_DIGITS = r"\d{6}-\d{3,4}"  # what an identity code with a hyphen puts in a chain: its check character ends it
PHONE_MIN_DIGITS = 6
# presidio's `regex` reads İ as i and ı as I when it ignores case, and knows digits newer than the Unicode
# tables of Polars' regex (U+11DE0-U+11DE9): the prefilters read the note with those written as Polars reads them.
_AS_PRESIDIO_READS = (("[\u0130\u0131]", "i"), ("[\\x{11DE0}-\\x{11DE9}]", "0"))
ENTITIES = (*PREFILTERS, "PHONE_NUMBER", PERSON)
SCHEMA = {"row": pl.UInt32, "start": pl.Int32, "end": pl.Int32, "entity": pl.String, "score": pl.Float64}
POOL_FROM = 20_000  # distinct notes needing presidio: below this a pool's start-up costs more than it saves
_CHUNK = 2_000


def _may_hold_phone() -> pl.Expr:
    chain = pl.element()
    return pl.col("t").str.extract_all(CHAIN_IN_CONTEXT).list.eval(
        (chain.str.count_matches(r"\d") >= PHONE_MIN_DIGITS)
        & ~chain.str.contains("^" + _BETWEEN + "(?:" + CALENDAR_DATE + "|" + DATE_RANGE + "|" + HETU_DIGITS + ")$")
    ).list.any().fill_null(False)


def as_presidio_reads(text: pl.Expr) -> pl.Expr:
    """The text with the characters presidio reads otherwise than Polars written as presidio reads them."""
    for pattern, value in _AS_PRESIDIO_READS:
        text = text.str.replace_all(pattern, value)
    return text


def candidate_masks(texts: pl.Series) -> pl.Series:
    """For each text, the entities (other than names) it could contain, as a bit mask over ENTITIES (bit i:
    ENTITIES[i]); entities_of(mask) reads one back. A mask, not a list column: building and handing over a list
    of strings per note cost more than running every prefilter."""
    tests = [pl.col("t").str.contains(rx) for rx in PREFILTERS.values()] + [_may_hold_phone()]
    flags = pl.DataFrame({"t": texts}).with_columns(as_presidio_reads(pl.col("t")))
    return flags.select(pl.sum_horizontal(test.cast(pl.UInt8) * (1 << i) for i, test in enumerate(tests))
                        .cast(pl.UInt8).alias("entities"))["entities"]


_MASKED = ENTITIES[:-1]  # every entity but names, which every note is read for
assert len(_MASKED) <= 8, "candidate_masks packs the entities into a UInt8"
_ENTITY_SETS = tuple(tuple(e for i, e in enumerate(_MASKED) if mask >> i & 1) for mask in range(1 << len(_MASKED)))


def entities_of(mask: int) -> tuple[str, ...]:
    return _ENTITY_SETS[mask]


def candidate_entities(texts: pl.Series) -> pl.Series:
    """For each text, the entities (other than names) it could contain: a list column."""
    sets = pl.DataFrame({"entities": range(len(_ENTITY_SETS)), "names": [list(e) for e in _ENTITY_SETS]},
                        schema={"entities": pl.UInt8, "names": pl.List(pl.String)})
    return candidate_masks(texts).to_frame().join(sets, on="entities", how="left", maintain_order="left")["names"] \
        .alias("entities")


def _analyze(batch: list[tuple[str, tuple[str, ...], str]], second: names.SecondLine = names.SECOND_LINE_ON
             ) -> list[list[tuple[int, int, str, float]]]:
    from extractor.freetext.engine import analyzer
    from extractor.freetext.one_pass import analyze_note, remembered_parses
    from extractor.freetext.recognizers import NameRecognizer

    engine, gaz = analyzer(), names.gazetteer()
    NameRecognizer.second_line = second
    out = []
    with remembered_parses():
        for text, entities, lang in batch:
            if entities:
                found = analyze_note(engine, text, (*entities, PERSON), lang, MIN_SCORE)
            else:
                found = [(s, e, PERSON, score) for s, e, score in names.person_spans(text, gaz, lang, second)]
            out.append(found)
    return out


_POOL: multiprocessing.pool.Pool | None = None


def _pool(processes: int) -> multiprocessing.pool.Pool:
    """One pool per process, its workers forked from a server that imported and built the analyzer once."""
    global _POOL
    if _POOL is None or _POOL._processes != processes:  # noqa: SLF001
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["extractor.freetext.warm"])
        if _POOL is not None:
            close_pool()
        _POOL = ctx.Pool(processes)
        atexit.register(close_pool)
    return _POOL


def close_pool() -> None:
    """Stop the workers before the interpreter tears down the modules their pool object needs."""
    global _POOL
    if _POOL is not None:
        _POOL.terminate()
        _POOL.join()
        _POOL = None


def _warm_pool(processes: int, notes: int) -> threading.Thread | None:
    """Start the pool (its fork server imports presidio and builds the gazetteer: 2-3 s in a process of its own)
    while this process reads the first notes' languages and prefilters them, so the two overlap on two cores."""
    if processes <= 1 or notes < POOL_FROM:
        return None
    thread = threading.Thread(target=_pool, args=(processes,), name="extractor-warm-pool", daemon=True)
    thread.start()
    return thread


def chunks(height: int, size: int | None = None) -> Iterator[tuple[int, int]]:
    """(offset, length) of each chunk of `height` notes: `size` notes, the last 2 x `size` in chunks a quarter as
    long, so that the workers finish nearly together (a whole last chunk left one core idle up to half a second)."""
    size = size or _CHUNK
    offset, tail = 0, max(0, height - 2 * size)
    while offset < height:
        length = size if offset < tail else max(1, size // 4)
        yield offset, min(length, height - offset)
        offset += length


class _Prepared:
    """The distinct notes in chunks, each read for its language and prefiltered only when the pool asks for it:
    the workers analyse one chunk while this process (the pool's task thread) reads the next, instead of both
    cores waiting for the whole column to be read first. Each chunk's units and languages are kept in order."""

    def __init__(self, distinct: pl.DataFrame, language: str) -> None:
        self.distinct, self.language = distinct, language
        self.units: list[pl.Series] = []
        self.languages: list[pl.DataFrame] = []

    def __iter__(self) -> Iterator[list[tuple[str, tuple[str, ...], str]]]:
        for offset, length in chunks(self.distinct.height):
            part = self.distinct.slice(offset, length)
            if "language" not in part.columns:
                part = part.with_columns(languages_of(part["text"], self.language).alias("language"))
            self.languages.append(part.select("u", "language"))
            part = part.with_columns(candidate_masks(part["text"])) \
                .filter(pl.col("text").str.contains(r"[^\W_]"))  # nothing to find without a letter or digit
            self.units.append(part["u"])
            yield list(zip(part["text"].to_list(), map(entities_of, part["entities"].to_list()),
                           part["language"].to_list(), strict=True))


def _analyze_all(prepared: _Prepared, processes: int, second: names.SecondLine) -> list[list[tuple]]:
    if processes <= 1 or prepared.distinct.height < POOL_FROM:
        return [found for work in prepared for found in _analyze(work, second)]
    warming, chunks, early = _warm_pool(processes, prepared.distinct.height), iter(prepared), []
    while warming is not None and warming.is_alive() and (work := next(chunks, None)) is not None:
        early.append(work)  # read while the pool starts
    if warming is not None:
        warming.join()
    results: list[list[tuple]] = []
    for part in _pool(processes).imap(functools.partial(_analyze, second=second), itertools.chain(early, chunks)):
        results += part
    return results


def detect(texts: pl.Series, processes: int | None = None, language: str = "auto",
           languages: pl.Series | None = None, second: names.SecondLine = names.SECOND_LINE_ON) -> pl.DataFrame:
    """Every identifier found: row (position in `texts`), start, end (characters), entity, score.
    `language`: "auto" (each note's own, language.py) or one of fi, sv, en for every note; `languages`:
    each row's language when the caller has already detected it (a note's language follows from its text);
    `second`: the second line of defence (words no dictionary knows) on or off, with the controller's terms."""
    return detect_with_languages(texts, processes, language, languages, second)[0]


def detect_with_languages(texts: pl.Series, processes: int | None = None, language: str = "auto",
                          languages: pl.Series | None = None, second: names.SecondLine = names.SECOND_LINE_ON
                          ) -> tuple[pl.DataFrame, pl.Series]:
    """detect(), and each row's language as the notes were read (each distinct note once; a null row: fi, or the
    language given), for the callers that also need it (dates are read in the note's language)."""
    if language != "auto" and language not in LANGUAGES:
        raise ValueError(f"language {language!r}: expected auto or one of {', '.join(LANGUAGES)}")
    processes = processes or min(2, os.cpu_count() or 1)
    frame = pl.DataFrame({"text": texts.cast(pl.String)}).with_row_index("row")
    if languages is not None:
        distinct = frame.with_columns(languages.alias("language")).drop_nulls("text") \
            .unique("text", keep="first", maintain_order=True).select("text", "language").with_row_index("u")
    else:
        distinct = frame.select("text").drop_nulls().unique(maintain_order=True).with_row_index("u")
    prepared = _Prepared(distinct, language)
    found = _analyze_all(prepared, processes, second)
    units = pl.concat(prepared.units).to_list() if prepared.units else []
    rows = frame.join(distinct.select("u", "text"), on="text", how="left", maintain_order="left")
    if languages is None:
        read = pl.concat(prepared.languages) if prepared.languages else pl.DataFrame(
            schema={"u": pl.UInt32, "language": pl.String})
        languages = rows.join(read, on="u", how="left", maintain_order="left")["language"] \
            .fill_null("fi" if language == "auto" else language)
    spans = _spans_frame(units, found)
    if spans.is_empty():
        return pl.DataFrame(schema=SCHEMA), languages
    return (rows.join(spans, on="u").select(list(SCHEMA)).cast(SCHEMA).sort("row", "start")), languages


def languages_of(texts: pl.Series, language: str = "auto") -> pl.Series:
    """Each text's language: detected ("auto") or the one given."""
    if language == "auto":
        return detect_languages(texts)
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: expected auto or one of {', '.join(LANGUAGES)}")
    return pl.Series([language] * texts.len(), dtype=pl.String)


def _spans_frame(units: list[int], found: list[list[tuple]]) -> pl.DataFrame:
    """The workers' spans as a frame, built column by column: from rows Polars reads each row's objects one at a
    time, three times the cost, and this runs in the process that feeds both workers."""
    columns: tuple[list, ...] = ([], [], [], [], [])
    u, starts, ends, entities, scores = columns
    for unit, items in zip(units, found, strict=True):
        for start, end, entity, score in items:
            u.append(unit)
            starts.append(start)
            ends.append(end)
            entities.append(entity)
            scores.append(score)
    return pl.DataFrame(dict(zip(("u", "start", "end", "entity", "score"), columns, strict=True)),
                        schema={"u": pl.UInt32, "start": pl.Int32, "end": pl.Int32, "entity": pl.String,
                                "score": pl.Float64})
