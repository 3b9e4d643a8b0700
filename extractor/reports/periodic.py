"""Notices built from the audit log: the practice's yearly account, and one person's own statement.

Dates and numbers are written as the reader's language writes them (i18n, CLDR). A person's statement says
only what the run records know: whether their records were in the material a query could read, which of
their choices left records out, and, where a released file carries their code, that it did.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from markupsafe import Markup

from extractor import i18n
from extractor.config.rules import choice_labels
from extractor.errors import ExtractorError
from extractor.release import layout, witness
from extractor.release.airlock_state import AirlockState
from extractor.release.store import Store
from extractor.reports.notices import LANGUAGES, PURPOSE_TEXT
from extractor.reports.render import render
from extractor.reports.transparency import key_in_registry, person_status, released_under_code, statement_tag

TEXT = {
    "fi": {"practice_title": "Kuka sai tietoja vuonna {year}?", "person_title": "Sinun tietosi ja niiden käyttö",
           "intro": "Vuonna {year} {org} antoi tietoja {n} {projects}. Tutkijat saivat vain tuloksia, jotka oli "
                    "ensin tarkistettu. Nimiä ja henkilötunnuksia ei annettu.",
           "none": "Tänä vuonna kukaan ei saanut tietoja.", "project": "Hanke", "org": "Saaja",
           "purpose": "Syy", "basis": "Peruste", "date": "Päivä", "choices":
           "Voit kieltää käytön. Tee kielto siellä, missä saat apua, tai OmaKannassa.",
           "in_material": "Tietosi olivat aineistossa, jonka tutkijoiden kysely sai lukea.",
           "not_in_material": "Tietosi eivät olleet aineistossa, jonka kysely sai lukea.",
           "in_release": "Tietosi olivat myös tiedostossa, jonka tutkijat saivat. Siinä oli koodi, ei nimeäsi.",
           "not_seen": "Sinusta ei ollut tässä mitään tietoja.",
           "left_out": "Osa tiedoista jäi pois, koska teit näin:",
           "person_intro": "Tässä ovat hankkeet, jotka ovat saaneet tietoja. Näet myös, olivatko tietosi "
                           "aineistossa.",
           "material_note": "Tutkijat eivät näe tietoja itse. Heidän kyselynsä lukee tiedot ja laskee tulokset. "
                            "Tutkijat saavat vain tulokset, ja ne tarkistetaan ensin. Jos tietosi olivat "
                            "aineistossa, kysely sai lukea ne. Se ei kerro, oletko sinä mukana tuloksissa.",
           "check_code": "Tarkistuskoodi"},
    "sv": {"practice_title": "Vem fick uppgifter år {year}?", "person_title": "Dina uppgifter och hur de har använts",
           "intro": "År {year} gav {org} ut uppgifter till {n} {projects}. Forskarna fick bara resultat som först "
                    "har granskats. Namn och personbeteckningar gavs inte ut.",
           "none": "I år fick ingen några uppgifter.", "project": "Projekt", "org": "Mottagare",
           "purpose": "Syfte", "basis": "Grund", "date": "Datum", "choices":
           "Du kan säga nej till att dina uppgifter används. Gör det där du får service eller på Mina Kanta-sidor.",
           "in_material": "Dina uppgifter fanns i det material som forskarnas fråga fick läsa.",
           "not_in_material": "Dina uppgifter fanns inte i det material som frågan fick läsa.",
           "in_release": "Dina uppgifter fanns också i filen som forskarna fick. Där stod en kod, inte ditt namn.",
           "not_seen": "Det fanns inga uppgifter om dig här.",
           "left_out": "En del togs bort på grund av ditt val:",
           "person_intro": "Här är de projekt som har fått uppgifter. Du ser också om dina uppgifter fanns i "
                           "materialet.",
           "material_note": "Forskarna ser inte uppgifterna själva. Deras fråga läser uppgifterna och räknar fram "
                            "resultat. Forskarna får bara resultaten, och de granskas först. Om dina uppgifter "
                            "fanns i materialet, fick frågan läsa dem. Det säger inte om just du räknades med i "
                            "resultaten.",
           "check_code": "Kontrollkod"},
    "en": {"practice_title": "How your data were used in {year}", "person_title": "How your data were used",
           "intro": "In {year}, {org} shared data with {n} {projects}. The researchers only got checked results. "
                    "No names or identity codes were shared.",
           "none": "No data were shared this year.", "project": "Project", "org": "User", "purpose": "Purpose",
           "basis": "Legal basis", "date": "Shared on", "choices":
           "You can say no to the use of your data. Do it at your service unit or in the OmaKanta service.",
           "in_material": "Your data were in the material the researchers' query could read.",
           "not_in_material": "Your data were not in the material the query could read.",
           "in_release": "Your data were also in a file the researchers got. It showed a code, not your name.",
           "not_seen": "Your data were not in the material.",
           "left_out": "Some data were left out because of your choice:",
           "person_intro": "These are the projects that received data. You also see if your data were in the "
                           "material.",
           "material_note": "The researchers do not see the data. Their query reads the data and works out the "
                            "results. The researchers only get the results, and these are checked first. If your "
                            "data were in the material, the query could read them. That does not tell if you "
                            "were counted in the results.",
           "check_code": "Check code"},
}


# Words whose form follows a number, by CLDR plural category (Babel): "1 project", "2 projects".
PLURALS = {"fi": {"one": "hankkeeseen", "other": "hankkeeseen"},  # illative after a numeral: one form
           "sv": {"one": "projekt", "other": "projekt"},
           "en": {"one": "project", "other": "projects"}}


def counted(n: int, lang: str) -> str:
    """The word for `n` projects in `lang`, by the language's CLDR plural rule."""
    from babel import Locale

    return PLURALS[lang][Locale(lang).plural_form(n)]


def _localised(extracts: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Each release's title, user and legal basis in the reader's language where the request gave it, and its
    date as the language writes dates."""
    out = []
    for e in extracts:
        texts = e.get("texts", {})
        pick = {key: texts[field].get(lang) for key, field in (("title", "title"), ("organisation",
                "requester.organisation"), ("legal_basis", "legal_basis")) if field in texts}
        out.append({**e, **{k: v for k, v in pick.items() if v}, "date": i18n.date(e["date"], lang)})
    return out


def organisation_names(values: list[str] | str) -> dict[str, str]:
    """`--organisation` once per language (`fi=Esimerkin hyvinvointialue`, `sv=…`, `en=…`), or one bare name
    for every language; a language without a name is refused in one line."""
    given: dict[str, str] = {}
    for value in [values] if isinstance(values, str) else values:
        lang, sep, name = value.partition("=")
        lang = lang.strip().casefold() if sep and lang.strip().casefold() in LANGUAGES else "*"
        name = name if lang != "*" else value
        if not name.strip():
            raise ExtractorError(f"--organisation: expected a name, got {value!r}")
        given[lang] = name.strip()
    missing = [lang for lang in LANGUAGES if lang not in given and "*" not in given]
    if missing:
        raise ExtractorError("--organisation: no name for " + ", ".join(f'"{m}"' for m in missing) + " (give "
                             "--organisation fi=… --organisation sv=… --organisation en=…, or one name for all)")
    return {lang: given.get(lang, given.get("*", "")) for lang in LANGUAGES}


def _text(lang: str) -> dict[str, str]:
    """The notice's sentences with the names of people's choices from the rule registry."""
    return {**TEXT[lang], **choice_labels(lang)}


def released_extracts(state: AirlockState, out_root: Path, year: int | None = None) -> list[dict[str, Any]]:
    """Every release recorded in the verified log (of one year), oldest first."""
    out = []
    runs = sorted((r for r in state.runs.values() if r.release_record is not None), key=lambda r: r.release_record.seq)
    for run in runs:
        at = run.released_at or ""
        if year is not None and at[:4] != str(year):
            continue
        d = run.details
        out.append({"run_id": run.run_id, "date": at[:10], "title": d.get("title", run.run_id),
                    "purpose": d.get("purpose"), "organisation": d.get("organisation", ""),
                    "legal_basis": d.get("legal_basis", ""), "texts": d.get("texts", {}),
                    "run_dir": layout.run_dir(out_root, run.run_dir)})
    return out


def _write(folder: Path, stem: str, pages: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang, page in pages.items():
        path = folder / f"{stem}_{lang}.html"
        path.write_text(page, encoding="utf-8")
        paths.append(path)
    return paths


def _witnessed(store: Store, what: str, folder: Path, details: dict[str, Any]) -> tuple[Markup, str]:
    """Record that a notice was written (its folder then holds a witness), and the head to print in it."""
    folder.mkdir(parents=True, exist_ok=True)
    with store.writing() as w:
        record = w.append("notice", {"kind": what, "folder": str(folder.resolve()), **details})
    witness.register_folder(store.out_root, folder)
    return Markup(witness.meta_tag(record, store.signer.public)), f"{record.seq}:{record.hash[:16]}"


def practice_notice(store: Store, year: int, organisation: dict[str, str] | str, folder: Path) -> list[Path]:
    """The year's notice in each language; `organisation`: its name per language (organisation_names)."""
    names = organisation_names(organisation) if isinstance(organisation, str) else organisation
    extracts = released_extracts(store.reading(), store.out_root, year)
    meta, code = _witnessed(store, "practice", folder, {"year": year})
    pages = {lang: render("yearly_notice.html.j2", {
        "lang": lang, "t": _text(lang), "title": TEXT[lang]["practice_title"].format(year=year),
        "intro": Markup(TEXT[lang]["intro"]).format(  # the organisation's name is a name, not our prose
            org=Markup('<span class="name">{}</span>').format(names[lang]), year=year,
            n=i18n.number(len(extracts), lang), projects=counted(len(extracts), lang)),
        "extracts": _localised(extracts, lang), "purposes": {k: v[lang] for k, v in PURPOSE_TEXT.items()},
        "person": None, "witness_meta": meta, "witness": code})
        for lang in LANGUAGES}
    return _write(folder, f"practice_notice_{year}", pages)


class UnknownPerson(ExtractorError):
    """No run recorded the key and no table or register holds it: nothing is written (a statement that "your
    data were not in the material" would mislead whoever mistyped a key)."""


def person_statement(store: Store, master: bytes, person: str, folder: Path, catalog: Path | None = None,
                     data_root: Path | None = None, today: dt.date | None = None) -> list[Path]:
    """One person's statement in each language, named by a keyed tag of the key and the day (never the key):
    `statement_<tag>_<YYYY-MM-DD>_<lang>.html`. `catalog`: where to look for a key no run recorded."""
    extracts = released_extracts(store.reading(), store.out_root)
    if not extracts:
        raise ExtractorError(f"{store.out_root}: no released extracts to report on")
    for e in extracts:
        e["status"] = person_status(e["run_dir"], master, person)
        e["released"] = bool(e["status"] and e["status"][0] and released_under_code(e["run_dir"], master, person))
    if all(e["status"] is None for e in extracts):
        if catalog is None:
            raise UnknownPerson("no released extract read or left out records of this key, and its tables and "
                                "registers were not searched (give --catalog): nothing written")
        if not key_in_registry(catalog, data_root, person):
            raise UnknownPerson(f"no table or register of {catalog.name} holds this key: nothing written "
                                "(check the key)")
    pages = {lang: render("yearly_notice.html.j2", {
        "lang": lang, "t": _text(lang), "title": TEXT[lang]["person_title"], "intro": TEXT[lang]["person_intro"],
        "extracts": _localised(extracts, lang), "purposes": {k: v[lang] for k, v in PURPOSE_TEXT.items()},
        "person": True})
        for lang in LANGUAGES}
    day = (today or dt.date.today()).isoformat()
    return _write(folder, f"statement_{statement_tag(master, person)}_{day}", pages)
