"""Finnish and Swedish case endings undone by rule: the fallback where Voikko does not know a word.

A word's candidate base forms are the word itself, then the word without each case ending it could
carry (longest first) and the stems that consonant gradation and the -nen/-se- alternation allow
(Virtase-lle -> Virtanen, Miko-lle -> Mikko, Turu-ssa -> Turku). The gazetteer keeps the candidates
that are register names; FOLD maps a name to its form without diacritics (Nyström -> Nystrom).
"""

from __future__ import annotations

# Case endings, longest first (Finnish; "s" is the Swedish and English genitive).
ENDINGS = tuple(sorted({
    "n", "a", "ä", "ta", "tä", "na", "nä", "ksi", "lle", "lla", "llä", "lta", "ltä", "ssa", "ssä", "sta", "stä",
    "in", "ia", "iä", "ille", "illa", "illä", "ilta", "iltä", "issa", "issä", "ista", "istä", "iksi", "ina", "inä",
    "seen", "hin", "han", "hän", "hen", "hon", "hön", "hun", "hyn", "lleen", "ltaan", "ltään", "nsa", "nsä", "s",
    "kin", "kaan", "kään", "tta", "ttä", "ineen", "sten", "isten", "iden", "ten",
}, key=len, reverse=True))
# Weak grade (as inflected) -> strong grade (as in the base form), just before the last vowel.
_GRADATION = (("ng", "nk"), ("nn", "nt"), ("ll", "lt"), ("rr", "rt"), ("mm", "mp"), ("k", "kk"), ("p", "pp"),
              ("t", "tt"), ("d", "t"), ("v", "p"), ("", "k"))  # last: k lost altogether (Turu-ssa -> Turku)
_VOWELS = "aeiouyäöå"
FOLD = str.maketrans("äöåüéèáà", "aoaueeaa")

def base_forms(word: str) -> list[str]:
    """The word, then the base forms its case ending and consonant gradation allow, most likely first."""
    out = [word]
    if len(word) > 4 and word[-1] == "n" and word[-2] == word[-3] and word[-2] in _VOWELS:
        out.append(word[:-2])  # illative: Mikko-on, Virtase-en, Hämäläise-en
    for ending in ENDINGS:
        if not word.endswith(ending) or len(word) - len(ending) < 2:
            continue
        stem = word[: -len(ending)]
        out.append(stem)
        if ending in ("sten", "ten"):
            out.append(stem + "nen")  # Heikki-sten -> Heikkinen (plural genitive)
    for stem in list(out[1:]):
        if stem.endswith("se"):
            out.append(stem[:-2] + "nen")  # Virtase-lle -> Virtanen
        if stem.endswith("s"):
            out.append(stem[:-1] + "nen")  # Virtas-ta -> Virtanen
        if stem.endswith("ee"):
            out.append(stem[:-1])  # Lainee-n -> Laine
        if stem and stem[-1] in _VOWELS:
            head, last = stem[:-1], stem[-1]
            for weak, strong in _GRADATION:
                if head.endswith(weak) and len(head) > len(weak):
                    out.append(head[:len(head) - len(weak)] + strong + last)  # Miko-lle -> Mikko
    return list(dict.fromkeys(out))
