"""The plain sentences of synthetic case notes: many templates with varying details, so that notes differ.

Real case notes almost never repeat: each records a day, a time, an amount, who was met and what was
agreed. A handful of fixed sentences would let de-duplication do the work that de-identification must
do on real text, so the benchmark would flatter the tool. Each template here has slots ({date}, {time},
{eur}, {n}, {min}, {mg}, {weekday}, {place}, {staff}, {service}) filled per note from the lists below;
with 50 Finnish and 25 Swedish templates and four sentences a note, nearly every note is distinct.
The details are not identifiers (no names, codes or contact details), and the traps stay: names that
are ordinary words at a sentence's start (Toivo, Into, Onni), an agency (Kela), places, dates, amounts.
"""

from __future__ import annotations

import numpy as np
import polars as pl

TEMPLATES: dict[str, list[str]] = {
    "fi": [
        "Asiakas tavattu kotikäynnillä {date}, tilanne on vakaa ja arki sujuu omatoimisesti.",
        "Palvelutarpeen arvio päivitetty {date} yhdessä asiakkaan ja omaisten kanssa.",
        "Asiakas ei saapunut sovittuun tapaamiseen {dm}, uusi aika sovitaan puhelimitse.",
        "Keskusteltu tukitoimien jatkamisesta, asiakas suostuu suunnitelmaan.",
        "Puhelinyhteys asiakkaan kanssa {weekday}, ei uusia huolia tai muutoksia tilanteessa.",
        "Verkostopalaveri pidetty {date}, paikalla {staff} ja {n} muuta osallistujaa.",
        "Päätös toimitettu asiakkaalle {dm}, muutoksenhakuohje liitteenä.",
        "Asiakas kertoo voivansa paremmin, jatketaan nykyisellä suunnitelmalla {n} viikkoa.",
        "Toivo paremmasta on asiakkaalla vahva, motivaatio on hyvä.",
        "Into harrastuksiin on palannut kevään aikana, asiakas käy uimassa {n} kertaa viikossa.",
        "Kela myönsi asumistuen, päätös saapui {date}.",
        "Vuokra on {eur} euroa kuukaudessa, toimeentulotukea haettu {dm}.",
        "Asiakas asui aiemmin {place} ja viihtyy uudessa kodissa.",
        "Onni oli matkassa, kun asunto järjestyi {n} viikossa.",
        "Seuraava arviointi {date} klo {time} toimistolla.",
        "Lääkitys tarkistettu yhdessä hoitajan kanssa, annos {mg} mg aamuisin.",
        "Kotikäynti kesti {min} minuuttia, asiakas oli levollinen ja keskusteli mielellään.",
        "Asiakkaalle myönnetty {service} ajalle {dm}–{date}.",
        "Hakemus koskien palvelua {service} vastaanotettu {date}, käsittely aloitettu.",
        "{staff_cap} kävi kotona {weekday} klo {time}, ruokailu ja hygienia hoidettu.",
        "Asiakas on ollut sairaalahoidossa {n} vuorokautta, kotiutus suunnitteilla.",
        "Omaishoitaja jaksaa vaihtelevasti, lakisääteiset vapaapäivät {n} kuukaudessa.",
        "Laskut maksettu ajallaan, vuokrarästiä {eur} euroa, maksusuunnitelma tehty.",
        "Asiakas toivoo lisää tukea arkeen, asia viedään tiimin käsittelyyn {weekday}.",
        "Kuljetuspalvelua myönnetty {n} yhdensuuntaista matkaa kuukaudessa.",
        "Päivätoiminnassa asiakas on käynyt {n} kertaa, osallistuu aktiivisesti ryhmään.",
        "Lapsen koulunkäynti sujuu, poissaoloja {n} päivää syyslukukaudella.",
        "Perhetyö jatkuu {n} tapaamisella kuukaudessa, seuraava käynti {dm}.",
        "Asiakas on muuttamassa {place}, asiakkuus siirretään uudelle alueelle.",
        "Toimeentulotukipäätös tehty {date}, perusosa {eur} euroa.",
        "Kotihoidon käyntejä lisätty, nyt {n} käyntiä päivässä klo {time} alkaen.",
        "Asiakkaan kanssa laadittu asiakassuunnitelma {date}, tavoitteena itsenäinen asuminen.",
        "Sosiaalityöntekijä arvioi tilanteen kiireelliseksi, yhteydenotto {weekday} (vastuussa {staff}).",
        "Asiakas kieltäytyy tarjotusta palvelusta ({service}), tilannetta seurataan.",
        "Kuntoutus alkaa {date} ja kestää {n} viikkoa.",
        "Asiakas kävi vastaanotolla klo {time}, mukana tulkki.",
        "Asunnon kunto tarkistettu, kosteusvaurio ilmoitettu isännöitsijälle {dm}.",
        "Asiakkaan taloudellinen tilanne on tiukka, tulot {eur} euroa kuukaudessa.",
        "Lastensuojeluilmoitus vastaanotettu {date}, selvitys aloitettu {n} päivän kuluessa.",
        "Tapaaminen peruttu asiakkaan sairastumisen vuoksi, uusi aika {dm} klo {time}.",
        "Kotiutuspalaveri pidetty osastolla {weekday}, kotihoito jatkuu entisellään.",
        "Asiakas osallistui ryhmätoimintaan {n} kertaa, palaute on myönteistä.",
        "Liikkuminen onnistuu rollaattorin kanssa, kaatumisia ei ole ollut {n} kuukauteen.",
        "Muistitesti tehty {date}, tulos {n}/30 pistettä.",
        "Ateriapalvelu alkaa {weekday}, hinta {eur} euroa kuukaudessa.",
        "Asiakas on tyytyväinen palveluun ({service}) ja haluaa jatkaa sitä.",
        "Tilanne käyty puhelimitse läpi {dm}, mukana {staff}.",
        "Asiakas pyysi asiakirjoistaan kopion, toimitettu {date}.",
        "Intervallijakso {place} sovittu ajalle {dm}–{date}.",
        "Asiakas harkitsee vielä, ilmoittaa päätöksestään {weekday}.",
    ],
    "sv": [
        "Klienten besökt i hemmet {date}, situationen är stabil och vardagen fungerar.",
        "Servicebehovet har bedömts {date} tillsammans med klienten och anhöriga.",
        "Klienten kom inte till det avtalade mötet {dm}, ny tid bokas per telefon.",
        "Diskuterat fortsatt stöd, klienten godkänner planen.",
        "Beslutet har skickats till klienten {dm} med besvärsanvisning.",
        "FPA beviljade bostadsbidrag, beslutet kom {date}.",
        "Hyran är {eur} euro i månaden, utkomststöd har sökts {dm}.",
        "Nästa bedömning {date} kl. {time} på byrån.",
        "Hembesöket tog {min} minuter, klienten var lugn och samtalade gärna.",
        "Klienten har beviljats {service_sv} för tiden {dm}–{date}.",
        "Nätverksmöte hölls {date}, närvarande {staff_sv} och {n} andra deltagare.",
        "Klienten har varit på sjukhus i {n} dygn, hemgång planeras.",
        "Hemvården ökas till {n} besök per dag från kl. {time}.",
        "Klientplan uppgjord {date}, målet är självständigt boende.",
        "Klienten deltog i gruppverksamheten {n} gånger, responsen är positiv.",
        "Måltidsservice börjar {weekday_sv}, priset är {eur} euro i månaden.",
        "Situationen genomgången med {staff_sv} per telefon {dm}.",
        "Klienten flyttar {place_sv}, klientskapet överförs till det nya området.",
        "Utkomststödsbeslut fattat {date}, grunddelen {eur} euro.",
        "Rehabiliteringen börjar {date} och pågår i {n} veckor.",
        "Mötet inställt eftersom klienten insjuknade, ny tid {dm} kl. {time}.",
        "Klienten rör sig med rollator, inga fall på {n} månader.",
        "Minnestest gjort {date}, resultat {n}/30 poäng.",
        "Klienten begärde en kopia av sina handlingar, skickad {date}.",
        "Klienten funderar ännu och meddelar sitt beslut {weekday_sv}.",
    ],
}
_STAFF = ["sosiaaliohjaaja", "sosiaalityöntekijä", "kotihoidon hoitaja", "lähihoitaja", "perhetyöntekijä",
          "terveydenhoitaja", "palveluohjaaja", "fysioterapeutti", "psykologi", "omaishoidon koordinaattori"]
_STAFF_SV = ["socialhandledaren", "socialarbetaren", "hemvårdaren", "närvårdaren", "familjearbetaren",
             "hälsovårdaren", "servicehandledaren", "fysioterapeuten"]
_SERVICE = ["kotihoito", "omaishoidon tuki", "perhetyö", "tehostettu palveluasuminen", "päivätoiminta",
            "kuljetuspalvelu", "tukihenkilö", "henkilökohtainen apu", "ateriapalvelu", "turvapuhelin"]
_SERVICE_SV = ["hemvård", "stöd för närståendevård", "familjearbete", "serviceboende", "dagverksamhet",
               "färdtjänst", "stödperson", "personlig assistans", "måltidsservice", "trygghetstelefon"]
_WEEKDAY = ["maanantaina", "tiistaina", "keskiviikkona", "torstaina", "perjantaina", "ensi viikolla",
            "huomenna", "eilen"]
_WEEKDAY_SV = ["på måndag", "på tisdag", "på onsdag", "på torsdag", "på fredag", "nästa vecka", "i morgon"]
_PLACE = ["Tampereella", "Turussa", "Oulussa", "Jyväskylässä", "Kuopiossa", "Lahdessa", "Porissa",
          "Joensuussa", "Vaasassa", "Seinäjoella", "Rovaniemellä", "Kotkassa"]
_PLACE_SV = ["till Vasa", "till Åbo", "till Borgå", "till Jakobstad", "till Ekenäs", "till Karleby"]


def _pick(rng: np.random.Generator, values: list[str], n: int) -> pl.Series:
    return pl.Series(values).gather(rng.integers(0, len(values), n))


def pools(rng: np.random.Generator, per_template: int = 500) -> dict[str, pl.Series]:
    """Filled sentences per language, `per_template` of each template: notes draw from these, which is
    much faster than filling every note's slots and still leaves hardly any two notes alike."""
    return {lang: _fill(rng, pl.Series(TEMPLATES[lang]).gather(np.repeat(np.arange(len(TEMPLATES[lang])),
                                                                         per_template)))
            for lang in ("fi", "sv")}


def sentences(rng: np.random.Generator, lang: pl.Series, pool: dict[str, pl.Series]) -> pl.Series:
    """One plain sentence per row, in the row's language ('fi' or 'sv')."""
    n = lang.len()
    fi = pool["fi"].gather(rng.integers(0, pool["fi"].len(), n))
    sv = pool["sv"].gather(rng.integers(0, pool["sv"].len(), n))
    return fi.zip_with(pl.Series(lang.to_numpy() != "sv"), sv)


def _fill(rng: np.random.Generator, text: pl.Series) -> pl.Series:
    """Each template's slots filled with values drawn per row."""
    n = text.len()
    ints = pl.DataFrame({"d": rng.integers(1, 29, n), "m": rng.integers(1, 13, n), "y": rng.integers(2019, 2027, n),
                         "d2": rng.integers(1, 29, n), "m2": rng.integers(1, 13, n), "h": rng.integers(8, 17, n),
                         "mi": rng.choice([0, 15, 30, 45], n)})
    dates = ints.select(pl.format("{}.{}.{}", "d", "m", "y").alias("date"), pl.format("{}.{}.", "d2", "m2").alias("dm"),
                        pl.format("{}.{}", "h", pl.col("mi").cast(pl.String).str.zfill(2)).alias("time"))
    staff = _pick(rng, _STAFF, n)
    values = pl.DataFrame({
        "t": text, "date": dates["date"], "dm": dates["dm"], "time": dates["time"],
        "eur": pl.Series(rng.integers(40, 1400, n)).cast(pl.String),
        "n": pl.Series(rng.integers(2, 13, n)).cast(pl.String),
        "min": rng.choice(["15", "20", "30", "45", "60", "75", "90"], n), "mg": rng.choice(["5", "10", "20", "40"], n),
        "weekday": _pick(rng, _WEEKDAY, n), "weekday_sv": _pick(rng, _WEEKDAY_SV, n),
        "place": _pick(rng, _PLACE, n), "place_sv": _pick(rng, _PLACE_SV, n),
        "staff": staff, "staff_cap": staff.str.slice(0, 1).str.to_uppercase() + staff.str.slice(1),
        "staff_sv": _pick(rng, _STAFF_SV, n), "service": _pick(rng, _SERVICE, n),
        "service_sv": _pick(rng, _SERVICE_SV, n),
    })
    filled = pl.col("t")
    for slot in values.columns[1:]:
        filled = filled.str.replace("{" + slot + "}", pl.col(slot), literal=True)
    return values.select(filled.str.replace(r"\.\.$", "."))["t"]  # "käynti 8.8." ends the sentence
