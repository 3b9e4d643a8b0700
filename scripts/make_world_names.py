"""Write extractor/data/fi/world_names.tsv: first names and surnames of people living in Finland whose names the
population register's list lacks, from Faker's person providers (MIT; run with Faker installed:
`pip install faker && python scripts/make_world_names.py`). Not run by the build: the file is committed.

Every locale's first and last names in Latin script (Cyrillic transliterated by the Finnish standard
SFS 4900; romanised Chinese and Japanese names where Faker gives them), lower-cased, without the ones the
Finnish register already has. A name that is an ordinary word in Finnish, Swedish or English is marked
`word` (it then needs evidence in a note, as the register's word-names do).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

import faker
import faker.providers.person as person

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "extractor" / "data" / "fi" / "world_names.tsv"
LATIN = re.compile(r"^[a-zà-öø-ÿāăąćčďđēėęěğīįıķĺľłńňōőœŕřśşšţťūůűųźżžș-]+$")
CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
                    ["a", "b", "v", "g", "d", "e", "jo", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s",
                     "t", "u", "f", "h", "ts", "tš", "š", "štš", "", "y", "", "e", "ju", "ja", "i", "ji", "je", "g"],
                    strict=True))
ATTRIBUTES = {"first": ("first_names", "first_names_male", "first_names_female", "first_romanized_names",
                        "first_names_nonbinary"),
              "last": ("last_names", "last_names_male", "last_names_female", "last_romanized_names")}


def _latin(name: str) -> str | None:
    low = name.strip().lower()
    if any(c in CYRILLIC for c in low):
        low = "".join(CYRILLIC.get(c, c) for c in low)
    low = low.replace("'", "").replace("’", "")
    return low if LATIN.match(low) and len(low) >= 3 else None


def main() -> None:
    sys.path.insert(0, str(REPO))
    from extractor import reference_data

    register = set(reference_data.person_names()["name"].str.to_lowercase().to_list())
    words = _dictionary_words()
    found: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(person.__path__):
        module = importlib.import_module(f"faker.providers.person.{info.name}")
        provider = getattr(module, "Provider", None)
        for kind, attributes in ATTRIBUTES.items():
            for attribute in attributes:
                values = getattr(provider, attribute, ())
                for name in values if isinstance(values, tuple | list | dict) else ():
                    for part in re.split(r"[\s]+", str(name)):
                        latin = _latin(part)
                        if latin and latin not in register:
                            found.setdefault(latin, set()).add(kind)
    lines = [f"# Names of people in Finland that the population register list lacks: Faker {faker.VERSION} person "
             "providers (MIT), made by scripts/make_world_names.py", "name\tkind\tword"]
    for name in sorted(found):
        kind = "first" if found[name] == {"first"} else "last" if found[name] == {"last"} else "both"
        lines.append(f"{name}\t{kind}\t{'yes' if name in words else 'no'}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(found)} names, {sum(n in words for n in found)} also ordinary words")


class _Words:
    """An ordinary word in Swedish or English (the system lists) or Finnish (Voikko: a common-word reading)."""

    def __init__(self) -> None:
        from extractor.freetext.dictionary import dictionary_words
        from extractor.freetext.morphology import morphology

        self.listed, self.voikko = dictionary_words(), morphology()

    def __contains__(self, name: str) -> bool:
        if name in self.listed:
            return True
        readings = self.voikko.readings(name) if self.voikko else None
        return bool(readings and readings.word and not readings.names)


def _dictionary_words() -> _Words:
    return _Words()


if __name__ == "__main__":
    main()
