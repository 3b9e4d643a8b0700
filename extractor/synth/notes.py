"""Synthetic case notes (Finnish or Swedish, about 200 characters) with the identifiers' spans annotated.

About a third of notes carry an identifier — the client's identity code or name (often inflected),
a relative's name, a phone number in one of the usual formats, an e-mail, a street address and postal
code, a bank account or a business ID — and every one is recorded as (start, end, entity) so that
de-identification can be scored. Plain sentences include traps: names that are ordinary words
("Toivo paremmasta…", "Into…", "Kela…"), places, dates and amounts.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from extractor import reference_data
from extractor.synth.note_sentences import pools, sentences

# (language, text before, first slot, text between, second slot, text after, weight)
TEMPLATES = [
    ("fi", "Asiakkaan henkilötunnus ", "hetu", " tarkistettu.", None, "", 3),
    ("fi", "Hetu ", "hetu", " korjattu rekisteriin.", None, "", 2),
    ("fi", "Asiakas pyytää soittamaan numeroon ", "phone", ".", None, "", 3),
    ("fi", "Puh. ", "phone", ", tavoitettavissa aamuisin.", None, "", 2),
    ("fi", "Yhteydenotot sähköpostitse: ", "email", ".", None, "", 3),
    ("fi", "", "full", " kertoo tilanteestaan.", None, "", 3),
    ("fi", "Soitettu ", "surname_to", " ja sovittu käynti.", None, "", 2),
    ("fi", "Tavattu ", "first_gen", " kanssa kotona.", None, "", 2),
    ("fi", "Asiakkaan ", "kin", " ", "relative", " osallistui palaveriin.", 3),
    ("fi", "", "relative_full", " pyytää soittamaan numeroon ", "phone", ".", 2),
    ("fi", "Uusi osoite ", "address", ", ", "postal", ".", 2),
    ("fi", "Tilinumero ", "iban", " vuokranmaksua varten.", None, "", 1),
    ("fi", "Palveluntuottaja Hoivapalvelu Oy (", "ytunnus", ") vastaa kotihoidosta.", None, "", 1),
    ("sv", "Klientens personbeteckning ", "hetu", " har kontrollerats.", None, "", 3),
    ("sv", "Klienten ber oss ringa ", "phone", ".", None, "", 3),
    ("sv", "Kontakt per e-post: ", "email", ".", None, "", 2),
    ("sv", "", "full", " berättar om sin situation.", None, "", 3),
    ("sv", "Klientens ", "kin", " ", "relative", " deltog i mötet.", 2),
    ("sv", "Ny adress ", "address", ", ", "postal", ".", 2),
]
ENTITY = {"hetu": "FI_PERSONAL_IDENTITY_CODE", "phone": "PHONE_NUMBER", "email": "EMAIL_ADDRESS",
          "full": "PERSON", "surname_to": "PERSON", "first_gen": "PERSON", "relative": "PERSON",
          "relative_full": "PERSON", "address": "FI_ADDRESS", "postal": "FI_POSTAL_CODE", "iban": "IBAN_CODE",
          "ytunnus": "FI_BUSINESS_ID"}
KIN = {"fi": ["äiti", "isä", "poika", "tytär", "puoliso", "sisko", "veli"],
       "sv": ["mor", "far", "son", "dotter", "make", "syster", "bror"]}
_PHONE_FORMATS = ["0{a} {b} {c}", "0{a}{b}{c}", "+358 {a} {b} {c}", "+358{a}{b}{c}", "0{a}-{b}{c}", "0{a} {b}{c}"]
_STREETS = {"fi": ["Kalevankatu", "Koivutie", "Mäntykuja", "Rauhankatu", "Asematie", "Koulukatu", "Puistotie",
                   "Kirkkokatu", "Järvenrinne", "Myllypolku", "Satamakatu", "Peltotie"],
            "sv": ["Strandvägen", "Skolgatan", "Kyrkogatan", "Bergsvägen", "Åsgränd", "Hamngatan"]}
SHARE_WITH_IDENTIFIER = 0.35


def _pick(rng: np.random.Generator, values: list[str], n: int) -> pl.Series:
    return pl.Series(values).gather(rng.integers(0, len(values), n))


def _weighted_names(rng: np.random.Generator, kind: str, n: int) -> pl.Series:
    names = reference_data.person_names().filter(pl.col("kind") == kind)
    p = names["count"].to_numpy().astype(float)
    return names["name"].gather(rng.choice(names.height, n, p=p / p.sum()))


def _inflect(name: pl.Expr, ending: str) -> pl.Expr:
    """Genitive 'n' or allative 'lle' of a name: -nen -> -se-, weak grade of kk/pp/tt, consonant + i."""
    weak = name.str.replace(r"kk([aeiouyäö])$", "k$1").str.replace(r"pp([aeiouyäö])$", "p$1") \
        .str.replace(r"tt([aeiouyäö])$", "t$1")
    return (pl.when(name.str.ends_with("nen")).then(name.str.replace(r"nen$", "se"))
            .when(name.str.contains(r"[aeiouyäö]$")).then(weak).otherwise(name + "i") + ending)


def _iban(rng: np.random.Generator, n: int) -> pl.Series:
    bban = rng.integers(10**13, 10**14, n, dtype=np.int64)
    check = 98 - ((bban % 97) * (10**6 % 97) + 151800) % 97  # BBAN, then "FI00" as digits 151800
    return pl.DataFrame({"b": bban, "c": check}).select(
        pl.format("FI{} {} {} {} {}", pl.col("c").cast(pl.String).str.zfill(2),
                  *[pl.col("b").cast(pl.String).str.slice(i, 4 if i < 12 else 2) for i in (0, 4, 8, 12)]))[:, 0]


def _ytunnus(rng: np.random.Generator, n: int) -> pl.Series:
    base = rng.integers(0, 10**7, n)
    weights = np.array([7, 9, 10, 5, 8, 4, 2])[:, None]
    while True:
        remainder = (weights * np.stack([(base // 10 ** (6 - i)) % 10 for i in range(7)])).sum(axis=0) % 11
        if not (remainder == 1).any():
            break
        base = np.where(remainder == 1, (base + 1) % 10**7, base)  # remainder 1 has no check digit
    check = np.where(remainder == 0, 0, 11 - remainder)
    return pl.DataFrame({"b": base, "c": check}).select(
        pl.format("{}-{}", pl.col("b").cast(pl.String).str.zfill(7), "c"))[:, 0]


def notes(rng: np.random.Generator, people: pl.DataFrame) -> pl.DataFrame:
    """One note per row of `people` (hetu, first_names, surname, postal_code, municipality, language):
    columns note and note_spans (list of {start, end, entity})."""
    return _compose(_draw(rng, people))


def _draw(rng: np.random.Generator, people: pl.DataFrame) -> pl.DataFrame:
    """Every random choice of the notes, in one fixed order: template, plain sentences, slot values."""
    n = people.height
    lang = people["language"].fill_null("fi")
    pool = pools(rng)
    with_id = rng.random(n) < SHARE_WITH_IDENTIFIER
    tpl = pl.DataFrame(TEMPLATES, schema=["lang", "pre", "s1", "mid", "s2", "post", "w"], orient="row")
    choice = np.full(n, -1)
    for language in ("fi", "sv"):
        rows = np.flatnonzero(tpl["lang"].to_numpy() == language)
        w = tpl["w"].to_numpy()[rows].astype(float)
        mask = with_id & (lang.to_numpy() == language)
        choice[mask] = rng.choice(rows, int(mask.sum()), p=w / w.sum())
    first = people["first_names"].str.split(" ").list.first()
    digits = pl.DataFrame({"a": rng.choice(["40", "50", "44", "45", "9"], n), "b": rng.integers(200, 899, n),
                           "c": rng.integers(1000, 9999, n), "f": rng.integers(0, len(_PHONE_FORMATS), n)})
    phone = digits.select(pl.coalesce([pl.when(pl.col("f") == i).then(
        pl.format(f.replace("{a}", "{}").replace("{b}", "{}").replace("{c}", "{}"), "a", "b", "c"))
        for i, f in enumerate(_PHONE_FORMATS)]))[:, 0]
    ascii_name = (first + "." + people["surname"]).str.to_lowercase().str.replace_many(
        ["ä", "ö", "å", "é", "ü", " "], ["a", "o", "a", "e", "u", ""])
    values = pl.DataFrame({
        "lang": lang, "choice": choice,
        "a": sentences(rng, lang, pool), "b": sentences(rng, lang, pool), "c": sentences(rng, lang, pool),
        "d": sentences(rng, lang, pool), "with_d": rng.random(n) < 0.5,
        "position": rng.integers(0, 3, n),
        "hetu": people["hetu"], "phone": phone,
        "email": ascii_name + _pick(rng, ["@esimerkki.fi", "@posti.fi", "@gmail.com", "@outlook.com"], n),
        "full": first + " " + people["surname"], "first": first, "surname": people["surname"],
        "relative": _weighted_names(rng, "first", n), "relative_surname": _weighted_names(rng, "surname", n),
        "kin_fi": _pick(rng, KIN["fi"], n), "kin_sv": _pick(rng, KIN["sv"], n),
        "street_fi": _pick(rng, _STREETS["fi"], n), "street_sv": _pick(rng, _STREETS["sv"], n),
        "house": rng.integers(1, 120, n), "stair": rng.choice(["", " A", " B", " C"], n),
        "flat": rng.integers(1, 60, n), "postal": people["postal_code"] + " " + people["municipality"],
        "iban": _iban(rng, n), "ytunnus": _ytunnus(rng, n),
    })
    return values


def _compose(values: pl.DataFrame) -> pl.DataFrame:
    """The notes and their spans from the drawn values (no randomness here)."""
    tpl = pl.DataFrame(TEMPLATES, schema=["lang", "pre", "s1", "mid", "s2", "post", "w"], orient="row")
    sv = pl.col("lang") == "sv"
    slot = {
        "hetu": pl.col("hetu"), "phone": pl.col("phone"), "email": pl.col("email"), "full": pl.col("full"),
        "surname_to": _inflect(pl.col("surname"), "lle"), "first_gen": _inflect(pl.col("first"), "n"),
        "kin": pl.when(sv).then(pl.col("kin_sv")).otherwise(pl.col("kin_fi")), "relative": pl.col("relative"),
        "relative_full": pl.col("relative") + " " + pl.col("relative_surname"),
        "address": pl.format("{} {}{}{}", pl.when(sv).then(pl.col("street_sv")).otherwise(pl.col("street_fi")),
                             "house", "stair", pl.when(pl.col("stair") != "").then(
                                 pl.format(" {}", "flat")).otherwise(pl.lit(""))),
        "postal": pl.col("postal"), "iban": pl.col("iban"), "ytunnus": pl.col("ytunnus"),
    }
    t = tpl.with_row_index("choice").with_columns(pl.col("choice").cast(pl.Int64))
    frame = values.join(t.drop("lang", "w"), on="choice", how="left", maintain_order="left")

    def fill(name: str) -> pl.Expr:
        out = pl.lit("")
        for kind, expr in slot.items():
            out = pl.when(pl.col(name) == kind).then(expr).otherwise(out)
        return out

    frame = frame.with_columns(fill("s1").alias("v1"), fill("s2").alias("v2"))
    # The identifier's sentence comes first, second or third; a fourth plain sentence ends half the notes.
    position = pl.col("position")
    before = pl.when(position == 0).then(pl.lit(None, pl.String)).when(position == 1).then(pl.col("a")) \
        .otherwise(pl.concat_str(["a", "b"], separator=" "))
    after = pl.concat_str([pl.when(position == 0).then(pl.concat_str(["a", "b"], separator=" "))
                           .when(position == 1).then(pl.col("b")),
                           pl.when(pl.col("with_d")).then(pl.col("d"))], separator=" ", ignore_nulls=True)
    frame = frame.with_columns(before.alias("before"), pl.when(after != "").then(after).alias("after"))
    middle = pl.when(pl.col("choice") < 0).then(pl.col("c")).otherwise(
        pl.concat_str(["pre", "v1", "mid", "v2", "post"], ignore_nulls=True))
    start1 = pl.col("before").str.len_chars().fill_null(-1) + 1 + pl.col("pre").str.len_chars()
    end1 = start1 + pl.col("v1").str.len_chars()
    start2 = end1 + pl.col("mid").str.len_chars()
    end2 = start2 + pl.col("v2").str.len_chars()

    def spans(kind: str, start: pl.Expr, end: pl.Expr) -> pl.DataFrame:
        entity = pl.col(kind).replace_strict(ENTITY, default=None, return_dtype=pl.String)
        return frame.with_row_index("i").filter(entity.is_not_null() & (pl.col("choice") >= 0)).select(
            "i", start.cast(pl.Int32).alias("start"), end.cast(pl.Int32).alias("end"), entity.alias("entity"))

    # A long frame of spans gathered into lists per note: concat_list of structs is many times slower.
    # A postal code's town stays in the note: the span is the code's five digits.
    code_end = pl.when(pl.col("s2") == "postal").then(start2 + 5).otherwise(end2)
    per_note = pl.concat([spans("s1", start1, end1), spans("s2", start2, code_end)]).sort("i", "start").group_by(
        "i", maintain_order=True).agg(pl.struct("start", "end", "entity").alias("note_spans"))
    out = frame.select(pl.concat_str(["before", middle, "after"], separator=" ", ignore_nulls=True).alias("note")
                       ).with_row_index("i")
    return out.join(per_note, on="i", how="left", maintain_order="left").select(
        "note", pl.col("note_spans").fill_null(pl.lit([], dtype=per_note.schema["note_spans"])))
