"""Finnish morphology through Voikko (libvoikko + its Finnish dictionary, Debian packages, fully offline).

Suffix stripping cannot undo every case ending (the illative of a -nen surname, `Hämäläiseen`), nor tell
a name from an ordinary word (`Laineen`: a wave's, or Laine's?). Voikko analyses a word into each of its
readings with a base form and a class: first name, surname, place name, or a common word. The names
module asks it first and keeps suffix stripping as the fallback for words Voikko does not know (most
surnames of the population register) and for machines without Voikko (`make test` installs it; an
installed wheel works without it, with lower recall on inflected names, and the report says which).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

NAME_CLASSES = {"etunimi": "first", "sukunimi": "surname"}
PLACE_CLASSES = {"paikannimi"}
# Not a common word: proper nouns and abbreviations say nothing about a name being an ordinary word.
_NOT_WORD_CLASSES = {"etunimi", "sukunimi", "paikannimi", "nimi", "lyhenne", "erisnimi"}


@dataclass(frozen=True)
class Readings:
    names: tuple[str, ...]  # base forms (lower case) of its first-name and surname readings
    places: tuple[str, ...]  # base forms of its place-name readings
    word: bool  # some reading is an ordinary word (noun, adjective, verb, pronoun, …)
    word_bases: tuple[str, ...] = ()  # base forms of those ordinary-word readings
    surname: bool = False  # one of its name readings is a surname
    compound: bool = False  # every ordinary-word reading is a compound (Kalliovaara: kallio + vaara)


class Morphology:
    """Memoised analyses of single words (names recur: each distinct word is analysed once)."""

    def __init__(self) -> None:
        import libvoikko

        self._voikko = libvoikko.Voikko("fi")
        self._seen: dict[str, Readings | None] = {}

    def readings(self, word: str) -> Readings | None:
        """None when Voikko does not know the word at all."""
        if word not in self._seen:
            if len(self._seen) > 500_000:
                self._seen.clear()
            self._seen[word] = self._analyse(word)
        return self._seen[word]

    def _analyse(self, word: str) -> Readings | None:
        found = self._voikko.analyze(word)
        if not found:
            return None
        names = tuple(dict.fromkeys(a["BASEFORM"].lower() for a in found if a.get("CLASS") in NAME_CLASSES))
        places = tuple(dict.fromkeys(a["BASEFORM"].lower() for a in found if a.get("CLASS") in PLACE_CLASSES))
        words = tuple(dict.fromkeys(a["BASEFORM"].lower() for a in found if a.get("CLASS") not in _NOT_WORD_CLASSES))
        surname = any(a.get("CLASS") == "sukunimi" for a in found)
        common = [a for a in found if a.get("CLASS") not in _NOT_WORD_CLASSES]
        compound = bool(common) and all(a.get("STRUCTURE", "").count("=") >= 2 for a in common)
        return Readings(names, places, bool(words), words, surname, compound)


@cache
def morphology() -> Morphology | None:
    """Voikko's Finnish analyser, or None where libvoikko or its Finnish dictionary is not installed."""
    try:
        m = Morphology()
        m.readings("Virtaselle")
        return m
    except Exception:  # noqa: BLE001 - any failure to load means: not available, use the fallback
        return None


def analyser_name() -> str:
    """What the report and `deidentify` say was used for Finnish inflection."""
    return "Voikko (libvoikko, Finnish dictionary)" if morphology() else "suffix rules (Voikko not installed)"
