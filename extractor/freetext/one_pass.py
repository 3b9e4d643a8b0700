"""One note through the recognizers it could need, without presidio's per-note pipeline.

`AnalyzerEngine.analyze` looks its recognizers up again for every note, tokenises the note for the context
enhancer and deep-copies every result before enhancing it. Only results of recognizers that declare context
words can be enhanced: the name recognizer declares none, and a note often yields nothing else. Here the
recognizers for a (language, entities) pair are looked up once; each runs on the note; only results of
recognizers with context words go through presidio's own enhancer, with the note's artifacts built then;
low scores and duplicates are removed as `analyze` removes them. A result already at the enhancer's highest
score (an identity code, an e-mail) stays there whatever its context says, so it skips the enhancer.
tests/test_freetext_fast_paths.py holds the findings equal to `analyze`'s on every corpus note and on
generated text.

libphonenumber's matcher parses every run of digits in a note (5, 12, 16.3.2023) and each part of a run that
fails; nine parses in ten repeat one already made in another note. While a batch runs, `remembered_parses`
answers a repeated parse from memory, each caller getting its own copy (the matcher edits the number it
accepts), and a failure raised anew; the verdict on a parsed number (valid for its region, its national prefix
written where the region requires it) is a function of the number and the candidate's text alone at the
leniencies presidio uses, so a repeated candidate's verdict is remembered too. Whether a candidate run holds a
number, and where, depends on the run and on what the matcher reads around it: whether the character on each
side stops a number (a Latin letter, a currency or per cent sign), and after a run shaped like a time stamp the
three characters that may hold its minutes (':05'). A repeated run's answer and the tries it spent are remembered
under those; keyed by the characters themselves, half the lookups missed (a date before ' klo', '\n' or ', ').
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache

import phonenumbers.phonenumbermatcher as _matcher
from phonenumbers import NumberParseException, PhoneNumber
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.context_aware_enhancers import lemma_context_aware_enhancer as _enhancer

from extractor.freetext.artifacts import artifacts

_ID, _NAME = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY, RecognizerResult.RECOGNIZER_NAME_KEY
_TOP = ContextAwareEnhancer.MAX_SCORE  # min(max(score + factor, floor), top) is top again for a score at top
_PLAIN_PARSE = _matcher.parse
_PLAIN_VERIFY = _matcher._verify  # noqa: SLF001 - the matcher's own verdict, remembered below
_PURE_LENIENCIES = (_matcher.Leniency.POSSIBLE, _matcher.Leniency.VALID)  # neither reads the matcher's text
_PLAIN_EXTRACT = _matcher.PhoneNumberMatcher._extract_match  # noqa: SLF001
_FEW_TRIES = 1_000  # a matcher this near its limit of tries runs as written: the limit then decides


def _copy(number: PhoneNumber) -> PhoneNumber:
    mine = object.__new__(PhoneNumber)  # copy.copy's reduce protocol costs five times more
    mine.__dict__.update(number.__dict__)
    return mine


@lru_cache(maxsize=65_536)  # a few tens of MB at most: most entries are failures
def _parsed(number: str, region: str | None, keep_raw_input: bool) -> PhoneNumber | tuple[int, str]:
    try:
        return _PLAIN_PARSE(number, region, keep_raw_input=keep_raw_input)
    except NumberParseException as failure:
        return (failure.error_type, failure._msg)  # noqa: SLF001 - the message it was raised with


def _remembered_parse(number: str, region: str | None = None, keep_raw_input: bool = False,
                      numobj: PhoneNumber | None = None, _check_region: bool = True) -> PhoneNumber:
    if numobj is not None or not _check_region:
        return _PLAIN_PARSE(number, region, keep_raw_input, numobj, _check_region)
    got = _parsed(number, region, keep_raw_input)
    if isinstance(got, tuple):
        raise NumberParseException(*got)
    return _copy(got)


@lru_cache(maxsize=65_536)
def _verdict(leniency: int, candidate: str, number: tuple) -> bool:
    return _PLAIN_VERIFY(leniency, _NUMBERS[number], candidate, None)


_NUMBERS: dict[tuple, PhoneNumber] = {}  # the number a key stands for, while its verdict is being reached


def _remembered_verify(leniency: int, numobj: PhoneNumber, candidate: str, matcher: object) -> bool:
    if leniency not in _PURE_LENIENCIES:
        return _PLAIN_VERIFY(leniency, numobj, candidate, matcher)
    key = (numobj.country_code, numobj.national_number, numobj.extension, bool(numobj.italian_leading_zero),
           numobj.number_of_leading_zeros, numobj.raw_input, numobj.country_code_source,
           numobj.preferred_domestic_carrier_code)  # every field PhoneNumber.__eq__ compares
    _NUMBERS[key] = numobj
    try:
        return _verdict(leniency, candidate, key)
    finally:
        _NUMBERS.pop(key, None)


@lru_cache(maxsize=65_536)
def _extracted(candidate: str, before: str, after: str, region: str | None, leniency: int
               ) -> tuple[int | None, str, PhoneNumber | None, int]:
    """(where in the run, the number's text, the number, tries spent) of the matcher's answer for a run written
    between `before` (its one character, or none at the text's start) and `after` (up to three characters)."""
    stand_in = _matcher.PhoneNumberMatcher(before + candidate + after, region, leniency=leniency)
    tries = stand_in._max_tries  # noqa: SLF001
    found = _PLAIN_EXTRACT(stand_in, candidate, len(before))
    spent = tries - stand_in._max_tries  # noqa: SLF001
    if found is None:
        return None, "", None, spent
    return found.start - len(before), found.raw_string, found.number, spent


_BLOCKING, _OPEN = "a", " "  # stand-ins: a character that stops a number beside it (a Latin letter), one that does not


@lru_cache(maxsize=4_096)
def _beside(character: str) -> str:
    """What the matcher reads of a character beside a candidate: whether it stops a number there (a Latin
    letter, a currency sign or a per cent sign), as `_BLOCKING` or `_OPEN`; no character stays none."""
    if not character:
        return ""
    stops = _matcher.PhoneNumberMatcher._is_invalid_punctuation_symbol(character) \
        or _matcher.PhoneNumberMatcher._is_latin_letter(character)  # noqa: SLF001
    return _BLOCKING if stops else _OPEN


def _remembered_extract(matcher: _matcher.PhoneNumberMatcher, candidate: str, offset: int
                        ) -> _matcher.PhoneNumberMatch | None:
    if matcher.leniency not in _PURE_LENIENCIES or matcher._max_tries < _FEW_TRIES:  # noqa: SLF001
        return _PLAIN_EXTRACT(matcher, candidate, offset)
    text, end = matcher.text, offset + len(candidate)
    # Of the text around the run the matcher reads one character on each side, and only whether it stops a
    # number; after a time stamp's shape (2024-03-05 14) also the three characters that may hold its minutes.
    after = text[end:end + 3] if _matcher._TIME_STAMPS.search(candidate) else _beside(text[end:end + 1])  # noqa: SLF001
    where, raw, number, spent = _extracted(candidate, _beside(text[offset - 1]) if offset else "", after,
                                           matcher.preferred_region, matcher.leniency)
    matcher._max_tries -= spent  # noqa: SLF001
    if where is None:
        return None
    return _matcher.PhoneNumberMatch(offset + where, raw, _copy(number))


class _NoCopy:
    """Stands in for the copy module where presidio's context enhancer deep-copies the results it is given."""

    @staticmethod
    def deepcopy(results: list[RecognizerResult]) -> list[RecognizerResult]:
        return results


_COPY = _enhancer.copy


@contextmanager
def remembered_parses() -> Iterator[None]:
    """While the block runs (one batch of notes): the phone matcher's parses, verdicts and answers for a run
    answered from memory, and the context enhancer scoring the results it is given in place. It deep-copies
    them first (a tenth of its time) so that a caller's own list stays as it was; analyze_note's lists are
    made for the call and read only from what the enhancer returns, as presidio's analyze reads them."""
    _matcher.parse, _matcher._verify = _remembered_parse, _remembered_verify  # noqa: SLF001
    _matcher.PhoneNumberMatcher._extract_match = _remembered_extract  # noqa: SLF001
    _enhancer.copy = _NoCopy
    try:
        yield
    finally:
        _matcher.parse, _matcher._verify = _PLAIN_PARSE, _PLAIN_VERIFY  # noqa: SLF001
        _matcher.PhoneNumberMatcher._extract_match = _PLAIN_EXTRACT  # noqa: SLF001
        _enhancer.copy = _COPY


@cache
def _recognizers(engine: AnalyzerEngine, language: str, entities: tuple[str, ...]) -> tuple[EntityRecognizer, ...]:
    found = engine.registry.get_recognizers(language=language, entities=list(entities), all_fields=False)
    for recognizer in found:
        if not recognizer.is_loaded:
            recognizer.load()
            recognizer.is_loaded = True
    return tuple(found)


def analyze_note(engine: AnalyzerEngine, text: str, entities: tuple[str, ...], language: str,
                 threshold: float) -> list[tuple[int, int, str, float]]:
    """(start, end, entity, score) of what `engine.analyze(text, language, list(entities), score_threshold=
    threshold)` finds."""
    recognizers = _recognizers(engine, language, entities)
    wanted = list(entities)
    plain: list[RecognizerResult] = []
    contextual: list[RecognizerResult] = []
    for recognizer in recognizers:
        found = recognizer.analyze(text=text, entities=wanted, nlp_artifacts=None)
        if not found:
            continue
        for result in found:  # what analyze adds: the context enhancer finds a result's recognizer by its id
            meta = result.recognition_metadata if result.recognition_metadata else {}
            meta.setdefault(_ID, recognizer.id)
            meta.setdefault(_NAME, recognizer.name)
            result.recognition_metadata = meta
        if not recognizer.context:
            plain.extend(found)
            continue
        for result in found:
            (plain if result.score == _TOP else contextual).append(result)
    if contextual:
        contextual = engine.context_aware_enhancer.enhance_using_context(
            text=text, raw_results=contextual, nlp_artifacts=artifacts(engine.nlp_engine, text, language),
            recognizers=list(recognizers), context=None)
    kept = EntityRecognizer.remove_duplicates([r for r in plain + contextual if r.score >= threshold])
    return [(r.start, r.end, r.entity_type, r.score) for r in kept]
