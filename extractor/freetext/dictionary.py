"""Is a token a word the language knows? Voikko for Finnish, the system's word lists for Swedish and English.

The second line of defence against names (unknown_words.py) removes what no dictionary knows, so the
dictionaries decide its precision. Finnish: Voikko knows every inflected form of its words and many
proper nouns. Swedish and English: Debian's word lists (wswedish; wamerican and wbritish, SCOWL), read
from /usr/share/dict where `make` installs them; a lower-case entry is a word, a capitalised one a proper
noun (a place, a brand, a famous name). Swedish compounds the list lacks (nätverksmötet) are known when
they split into two known words, with or without the linking s. Words of the trade that no dictionary
has (hetu, gmail, Teams) come from data/free_text_terms.txt, and a controller adds their own.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from extractor import reference_data
from extractor.freetext.morphology import morphology

SYSTEM_LISTS = {"sv": ("/usr/share/dict/swedish",),
                "en": ("/usr/share/dict/american-english", "/usr/share/dict/british-english")}
ENCODINGS = {"/usr/share/dict/swedish": "latin-1"}  # wswedish is ISO-8859-1; the SCOWL lists UTF-8
_SV_LINKS = ("s", "e", "a", "u", "o", "")
# Swedish inflection the list leaves out (klienten, ansökan's forms, räkningarna, flyttade): endings, longest first,
# and what the stem may have ended in before it (klient-en, räkning-arna, flytt-ade from flytta).
_SV_ENDINGS = tuple(sorted({"en", "n", "et", "t", "na", "erna", "arna", "orna", "ar", "er", "or", "s", "ens", "ets",
                            "ade", "at", "ad", "ande", "ende", "are", "ast", "aste", "re", "st", "ste", "e", "a",
                            "ernas", "arnas", "ornas", "ns", "ts", "nas"}, key=len, reverse=True))


@cache
def word_list(lang: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(words, proper nouns), both lower-cased, from the system lists; None when none is installed."""
    words: set[str] = set()
    proper: set[str] = set()
    found = False
    for name in SYSTEM_LISTS.get(lang, ()):
        path = Path(name)
        if not path.is_file():
            continue
        found = True
        for line in path.read_text(encoding=ENCODINGS.get(name, "utf-8"), errors="replace").splitlines():
            entry = line.strip().removesuffix("'s")
            if entry:
                (proper if entry[0].isupper() else words).add(entry.lower())
    return (frozenset(words), frozenset(proper - words)) if found else None


@cache
def trade_terms() -> frozenset[str]:
    """Terms of social-welfare notes that no dictionary has and that are never names (hetu, gmail, Teams)."""
    text = reference_data.data_file("free_text_terms.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))


_VOWELS = "aeiouyäö"


def is_term(low: str, terms: frozenset[str]) -> bool:
    """A term in any inflected form: the term itself, or a term of five letters or more with a case ending of up
    to five letters (Teamsiin, Migrin, Marevania, Pegasokseen: a term in -s takes -kse-; Kaukajärvelle: a term's
    last vowel changed before the ending)."""
    if low in terms:
        return True
    for cut in range(max(5, len(low) - 5), len(low)):
        head = low[:cut]
        if head in terms or (head + "s" in terms and low[cut:].startswith("kse")) \
                or (head[-1] not in _VOWELS and any(head + v in terms for v in _VOWELS)):
            return True
    return False


def available(lang: str) -> bool:
    return morphology() is not None if lang == "fi" else word_list(lang) is not None


def known(token: str, lang: str, compounds: bool = True) -> bool | None:
    """True when the dictionary of `lang`, or of another of the three languages, knows the token (notes mix
    languages, and a note's language can be misread); None when `lang` has no dictionary here (then nothing
    can be said)."""
    own = known_in(token, lang, compounds)
    if own is not False:
        return own
    return any(known_in(token, other, compounds) for other in ("fi", "sv", "en") if other != lang) or False


def known_in(token: str, lang: str, compounds: bool = True) -> bool | None:
    """Whether the dictionary of `lang` alone knows the token (any form, any case); None without one."""
    low = token.lower()
    if is_term(low, trade_terms()):
        return True
    if "-" in low:  # Karhu-nimistä, ex-puoliso: known when its last part is (or every part is a term)
        parts = [p for p in token.split("-") if p]
        return bool(parts) and (known_in(parts[-1], lang, compounds) is True
                                or all(p.lower() in trade_terms() for p in parts))
    if lang == "fi":
        m = morphology()
        if m is None:
            return None
        return m.readings(token) is not None or m.readings(low) is not None or (compounds and _fi_compound(low, m))
    lists = word_list(lang)
    if lists is None:
        return None
    words, proper = lists
    if low in words or low in proper:
        return True
    if lang != "sv":
        return False
    if token[0].isupper():  # Ristens, Rattanakorns: a capitalised form the list lacks is read more strictly
        return _inflected(low, words, _SV_DEFINITE) or (compounds and _compound(low, words, strict=True))
    return _inflected(low, words) or (compounds and _compound(low, words))


_SV_DEFINITE = ("arna", "erna", "orna", "en", "et", "na", "n", "t")


def _inflected(low: str, words: frozenset[str], endings: tuple[str, ...] = _SV_ENDINGS) -> bool:
    """A Swedish word in a form the list lacks: an ending off, the stem (or the stem + a or e) listed."""
    for ending in endings:
        if low.endswith(ending) and len(low) - len(ending) >= 3:
            stem = low[: -len(ending)]
            doubled = stem[-1] == stem[-2] and stem[:-1] in words  # flytt-ade: flytta
            if stem in words or stem + "a" in words or stem + "e" in words or doubled:
                return True
    return False


def _fi_compound(low: str, m: object) -> bool:
    """A Finnish compound Voikko does not list whole (hoitoisuus|arvio): a known word, then a known word."""
    return any(m.readings(low[:i]) is not None and m.readings(low[i:]) is not None  # type: ignore[attr-defined]
               for i in range(4, len(low) - 3))


def _compound(low: str, words: frozenset[str], depth: int = 2, strict: bool = False) -> bool:
    """A Swedish compound of listed words (nätverks|mötet, barn|skydds|anmälan), joined with or without a
    linking letter; each part at least 3 letters, or, `strict` (a capitalised token), the last part 4 letters
    and listed as it stands (Ristens is not rist|ens)."""
    for i in range(3, len(low) - (4 if strict else 3) + 1):
        head, tail = low[:i], low[i:]
        if tail not in words and (not _inflected(tail, words) if not strict else
                                  not (len(tail) >= 6 and _inflected(tail, words, _SV_DEFINITE))):
            continue  # strict: a listed last part, or one of five letters or more in its definite form (ledaren)
        for link in _SV_LINKS:
            stem = head[: len(head) - len(link)] if link else head
            if head.endswith(link) and len(stem) >= 3 and (
                    stem in words or (link == "s" and stem + "e" in words)  # arbet|s|hälsa: arbete
                    or (depth > 1 and _compound(stem, words, depth - 1, strict))):
                return True
    return False


def dictionary_words() -> set[str]:
    """Every lower-case word of the Swedish and English lists (for scripts/make_world_names.py)."""
    out: set[str] = set()
    for lang in SYSTEM_LISTS:
        lists = word_list(lang)
        if lists:
            out |= lists[0]
    return out
