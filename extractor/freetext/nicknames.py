"""Pet names derived from the register's common first names (Jukka -> Jukkis, Antti -> Antsa, Karl -> Kalle).

Finnish and Finland-Swedish pet names follow a few patterns: the name's first syllable or two and a
diminutive ending (-is, -kka/-kki, -ppa/-ppi, -tsa/-tsu, -ke, -na, -sse, -lle …). Every such form of a
first name borne by at least 3,000 people is derived; a form that is itself a register name, a place or
a word Voikko knows is left out, so that the list adds names and never ordinary words.
"""

from __future__ import annotations

import re

from extractor.freetext.morphology import morphology


def nicknames(counts: dict[str, int], first: set[str], taken: set[str]) -> dict[str, str]:
    """Pet forms of common first names, by the usual Finnish and Swedish patterns: the name's first
    syllable(s) and a diminutive ending (Jukka -> Jukkis, Antti -> Antsa, Pentti -> Pena, Karl -> Kalle).
    A form that is itself a register name, a place or an ordinary Finnish word is left out."""
    endings = ("is", "kis", "kkis", "ppa", "ppi", "mppi", "mppa", "kka", "kki", "kke", "ke", "tsa", "tsu",
               "tsku", "sku", "ssu", "sse", "sa", "su", "na", "ne", "te", "pe", "u", "cke", "lle", "ska")
    morph = morphology()
    out: dict[str, str] = {}
    for name in sorted((n for n in first if counts.get(n, 0) >= 3000 and "-" not in n), key=counts.get,
                       reverse=True):
        stems = {name[:2], name[:3], name[:-1]}
        for stem in stems:
            for ending in endings:
                pet = stem + ending
                if pet in taken or pet in out or len(pet) < 4 or pet == name or re.search(r"(.)\1\1", pet) \
                        or re.search(r"[^aeiouyäöå]{4}", pet):
                    continue
                readings = morph.readings(pet) if morph else None
                if readings is not None:
                    continue  # Voikko knows it: a word or a name of its own
                out[pet] = name
    return out
