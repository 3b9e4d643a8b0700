"""Readability of notices: LIX (Björnsson), mean sentence length and mean word length, per language.

LIX = words / sentences + 100 × long words / words, a long word having more than six letters. It is
Swedish-born and used for Finnish and English too; Finnish words are long (case endings, compounds), so
a Finnish notice reaches 40 only by choosing short words ("tiedot ovat tallessa", not "tiedot
säilytetään"), which is what plain-language guidance asks anyway. The ceiling is 40 in every language.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

CEILINGS = {"fi": 40.0, "sv": 40.0, "en": 40.0}  # LIX; ~40 is easy prose, ~50 ordinary official text
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?:]+(?:\s|$)")


@dataclass(frozen=True)
class Readability:
    language: str
    lix: float
    words_per_sentence: float
    letters_per_word: float
    ceiling: float

    @property
    def ok(self) -> bool:
        return self.lix <= self.ceiling


def visible_text(page: str) -> str:
    page = re.sub(r"<(style|script|head)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<(li|p|h[1-6]|dt|dd|tr|div)\b[^>]*>", ". ", page, flags=re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def prose(page: str) -> str:
    """The notice's own prose: official names of acts (`citation`) and proper names of organisations,
    projects, people and addresses (`name`) are given, not written by us, and are left out of the measure."""
    return visible_text(re.sub(r'<span class="(?:citation|name)">.*?</span>', " ", page, flags=re.S))


def measure(text: str, language: str) -> Readability:
    words = _WORD.findall(text)
    sentences = max(1, len([s for s in _SENTENCE_END.split(text) if _WORD.search(s)]))
    n = max(1, len(words))
    long_words = sum(1 for w in words if len(w.replace("-", "")) > 6)
    lix = n / sentences + 100 * long_words / n
    return Readability(language, round(lix, 1), round(n / sentences, 1),
                       round(sum(len(w) for w in words) / n, 2), CEILINGS.get(language, 45.0))
