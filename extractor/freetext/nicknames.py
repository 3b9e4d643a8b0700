"""Pet names derived from the register's common first names (Jukka -> Jukkis, Antti -> Antsa, Karl -> Kalle).

Finnish and Finland-Swedish pet names follow a few patterns: the name's first syllable or two and a
diminutive ending (-is, -kka/-kki, -ppa/-ppi, -tsa/-tsu, -ke, -na, -sse, -lle …). Every such form of a
first name borne by at least 3,000 people is derived; a form that is itself a register name or a place is
left out, and one that is also a word Voikko knows (Tumppi) is marked as a word: a name only with evidence.
"""

from __future__ import annotations

import re

from extractor.freetext.morphology import morphology

_TRIPLED = re.compile(r"(.)\1\1")  # a letter three times (Annna): no pet name
_FOUR_CONSONANTS = re.compile(r"[^aeiouyäöå]{4}")  # four consonants in a row: unpronounceable


def nicknames(counts: dict[str, int], first: set[str], taken: set[str], words: set[str]) -> dict[str, str]:
    """Pet forms of common first names, by the usual Finnish and Swedish patterns: the name's first
    syllable(s) and a diminutive ending (Jukka -> Jukkis, Antti -> Antsa, Pentti -> Pena, Karl -> Kalle).
    A form that is itself a register name or a place is left out; one that is also an ordinary Finnish word
    (Tumppi) is kept and added to `words`, so that it counts as a name only with evidence."""
    endings = ("is", "kis", "kkis", "ppa", "ppi", "mppi", "mppa", "kka", "kki", "kke", "ke", "tsa", "tsu",
               "tsku", "sku", "ssu", "sse", "sa", "su", "na", "ne", "te", "pe", "u", "cke", "lle", "ska")
    morph = morphology()
    out: dict[str, str] = {}
    # The commonest name first (a pet form two names share is the commoner's), ties by the name: the same in every
    # process, whatever order the register's names were read in.
    for name in sorted((n for n in first if counts.get(n, 0) >= 3000 and "-" not in n), key=lambda n: (-counts[n], n)):
        stems = {name[:2], name[:3], name[:-1]}
        for stem in stems:
            for ending in endings:
                pet = stem + ending
                if pet in taken or pet in out or len(pet) < 4 or pet == name or _TRIPLED.search(pet) \
                        or _FOUR_CONSONANTS.search(pet):
                    continue
                readings = morph.readings(pet) if morph else None
                if readings is not None and (readings.names or readings.places or not readings.word):
                    continue  # Voikko knows it as a name or a place of its own
                out[pet] = name
                if readings is not None:
                    words.add(pet)  # also an ordinary word (Tumppi): a name only with evidence
    return out
