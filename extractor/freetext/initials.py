"""Initials standing for a person: before a name (T. Virtanen, A-K Lahti), in a case (A-K:n, J.K:lle), two with
dots (M. K.), signing a note (… /mk, Kirj. PK), hyphenated (J-P) or given for a name (Juha-Pekka eli JP).

names.py finds the names; each pattern here runs only where a cheap test says it could match, and
tests/test_freetext_fast_paths.py holds each test to its pattern on generated text.
"""

from __future__ import annotations

import re

_CAPITALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ")
# "T. ", "M. K. ", "A-K " before a name, searched in the six characters before it.
INITIALS_BEFORE = re.compile(r"(?:\b[A-ZÅÄÖ]\.\s?){1,2}$|\b[A-ZÅÄÖ]-[A-ZÅÄÖ]\.?\s$")
# M. K., not P.O. Box; the look-behind sits after the first capital, so re scans for a capital first (3x faster).
TWO_INITIALS = re.compile(r"[A-ZÅÄÖ](?<![\w.][A-ZÅÄÖ])\.\s?[A-ZÅÄÖ]\.(?=\s|$|[,;:/)])(?!\s*Box)")
ALIAS = re.compile(r"(?:\s+(?:eli|alias|kallas|aka|dvs\.?)\s+|\s*\()([A-ZÅÄÖ]{2,3})\b")  # eli JP, (VP)
SURNAME_INITIAL = re.compile(r" [A-ZÅÄÖ]\.(?!\w)")  # Sanna L., /Ulla S.
INFLECTED_INITIALS = re.compile(r"\b[A-ZÅÄÖ](?:[-.][A-ZÅÄÖ])?\.?:[a-zåäö]{1,4}\b")  # A-K:n, M-L:s, J.K:lle, K:n
HYPHEN_INITIALS = re.compile(r"(?<![\w-])[A-ZÅÄÖ]-[A-ZÅÄÖ](?![\w-])")  # J-P (Juha-Pekka) on their own
# Two or three capitals in a case before a family noun (JP:n äiti, MK:s mamma): a person's initials; before a role
# word they are as often an organisation (HUS:n lääkäri, TE:n ohjaaja), so only family nouns count.
ACRONYM_OF_KIN = re.compile(r"(?<![\w-])[A-ZÅÄÖ]{2,3}:[a-zåäö]{1,4}(?=\s+(?i:äiti|äidi|isä|isi|veli|velje|sisko|sisar|"
                            r"poika|poja|tytär|tyttär|vaimo|mies|miehe|puoliso|mummo|mummi|ukki|täti|tädi|setä|sedä|"
                            r"eno|serkku|mor|far|bror|syster|mamma|pappa|sambo)\w*)")
# Short words that end a note without signing it (… - ok, … - ei, … /kl): never initials.
_NOT_INITIALS = "ok|klo|nr|jne|yms|mm|ym|obs|ei|on|ja|jo|no|nej|yes|men|and|the|nyt|joo|voi|pvm|kk|vk|min"
# "kl" (Swedish klockan) only as written in lower case: "– KL" ending a note is a writer's initials.
_NOT_INITIALS_LOWER = "kl"
# A writer's initials signing a note (… /mk, Kirj. PK, Kirjaaja: hj) at its end or before a line break.
SIGNATURE = re.compile(r"(?:(?<=\s)/|(?<=\s)[-\u2013\u2014]\s?|(?<=[.!?]\s)|(?<=!!\s)|\b(?i:kirj\.?|kirjaaja:?|"
                       r"kirjannut:?|kirjasi|antecknat av:?|protokollförare:?|sekreterare:?|signed:?|minutes:?|"
                       r"notes by:?)\s*)(?!(?i:" + _NOT_INITIALS + r")\b)(?!(?:" + _NOT_INITIALS_LOWER + r")\b)"
                       r"([A-ZÅÄÖa-zåäö]{2,3})\.?\s*(?:$|\n)")
# After a signing word the initials need not end the note: a date, a time or a title may follow (Kirj. PK
# 4.5.2024, Signed: JD, sos.tt).
SIGNED_BY = re.compile(r"\b(?i:kirj\.|kirjaaja:?|kirjannut:?|antecknat av:?|protokollförare:?|signed:?|notes by:?)"
                       r"\s*(?!(?i:" + _NOT_INITIALS + r")\b)(?!(?:" + _NOT_INITIALS_LOWER + r")\b)"
                       r"([A-ZÅÄÖ]{2,3}|[a-zåäö]{2,3})\.?"
                       r"(?=\s*(?:[,;(]|\d|klo\b|kl\.|sos|$))", re.MULTILINE)


def may_end_initials(text: str, start: int) -> bool:
    """Whether INITIALS_BEFORE could match ending at `start`: an initial ends in a full stop, or in a capital before a
    space (K-L Virtanen). A superset test, so the pattern is searched only before a name that may have one."""
    before = text[max(0, start - 2):start]
    return "." in before or (len(before) == 2 and before[0] in _CAPITALS)


_SIGNING_WORDS = ("kirj", "antecknat", "protokollf", "sekreterare", "signed", "minutes", "notes by")
_INITIAL_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖabcdefghijklmnopqrstuvwxyzåäö")


# A slash or a dash, then two or three letters ending their line: what SIGNATURE's first two ways of signing need.
_MARK_THEN_INITIALS = re.compile(r"[/\-\u2013\u2014]\s?[A-ZÅÄÖa-zåäö]{2,3}\.?\s*(?:$|\n)")


def may_sign(text: str, tail: int) -> bool:
    """Whether SIGNATURE or SIGNED_BY could match from `tail` on: a superset test, cheaper than either (a slash or a
    dash before initials that end a line, a signing word, or a line ending in two or three letters after a
    sentence's end). A date range or a hyphenated word near the end no longer sends a note to both patterns."""
    chunk = text[max(0, tail - 2):]
    low = chunk.lower()
    marked = "/" in chunk or "-" in chunk or "\u2013" in chunk or "\u2014" in chunk
    if any(w in low for w in _SIGNING_WORDS) or (marked and _MARK_THEN_INITIALS.search(chunk)):
        return True
    ends = [i for i, c in enumerate(chunk) if c == "\n"] if "\n" in chunk else []
    for end in (*ends, len(chunk)):
        seg = chunk[:end].rstrip()
        seg = seg[:-1] if seg.endswith(".") else seg
        k = 0
        while k < 4 and k < len(seg) and seg[-1 - k] in _INITIAL_LETTERS:
            k += 1
        if k in (2, 3) and len(seg) >= k + 2 and seg[-k - 1].isspace() and seg[-k - 2] in ".!?":
            return True
    return False


def person_initials(text: str, found: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Initials standing for a person: in a case (A-K:n, J.K:lle), two with dots (M. K.), signing the note
    (… /mk, Kirj. PK), hyphenated (J-P), and an acronym given for a name (Juha-Pekka eli JP). Each pattern
    runs only where its mark is in the note."""
    out: list[tuple[int, int, float]] = []
    if ":" in text:
        out += [(m.start(), m.end(), 0.7) for m in INFLECTED_INITIALS.finditer(text)]
        out += [(m.start(), m.end(), 0.7) for m in ACRONYM_OF_KIN.finditer(text)]
    if ". " in text or text.endswith("."):
        out += [(m.start(), m.end(), 0.6) for m in TWO_INITIALS.finditer(text)]
    tail = max(0, len(text) - 60)
    if may_sign(text, tail):
        out += [(m.start(1), m.end(1), 0.6) for m in SIGNATURE.finditer(text, tail)]
        out += [(m.start(1), m.end(1), 0.6) for m in SIGNED_BY.finditer(text, tail)
                if not any(s <= m.start(1) < e for s, e, _ in out)]
    if "-" in text:
        out += [(m.start(), m.end(), 0.6) for m in HYPHEN_INITIALS.finditer(text)
                if not any(s <= m.start() < e for s, e, _ in found + out)]
    if " eli " in text or " alias " in text or " dvs" in text or " aka " in text or "(" in text:
        # An alias right after a name: matched there, not searched for (no ALIAS match can start inside another).
        aliases = {m.group(1) for e in {e for _, e, _ in found + out} if (m := ALIAS.match(text, e))}
        for alias in aliases:  # the acronym given for a name, wherever it stands (VP, VP:n)
            out += [(m.start(), m.end(), 0.7) for m in re.finditer(rf"\b{alias}(?::[a-zåäö]{{1,4}})?\b", text)]
    out += [(m.start() + 1, m.end(), 0.6) for _, e, _ in found if (m := SURNAME_INITIAL.match(text, e))]
    return out
