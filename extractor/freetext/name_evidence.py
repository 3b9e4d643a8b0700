"""The words around a name that tell a person from a place or an ordinary word, per language (names.py).

Kinship and role words before a name (äiti, sosiaalityöntekijä, mor, client), verbs after it (kertoi,
berättar, told), family nouns after a genitive (Laineen perhe, Holms lägenhet), passives after a name
in the allative (Virtaselle soitettu); and the function words of each language that are never names
(Swedish han, English he) or are names only with evidence (Swedish per, hans; English will, grace).
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


KINSHIP_AND_ROLE = _words("""
äiti isä poika tytär veli sisko sisar puoliso vaimo mies avopuoliso lapsi lapsen vanhempi isoäiti isoisä mummo
ukki vaari täti setä eno serkku omainen asiakas asiakkaan nimeltä nimeltään herra rouva neiti hra rva
perhe sosiaalityöntekijä ohjaaja hoitaja lääkäri terapeutti edunvalvoja huoltaja naapuri ystävä kaveri tulkki
äidin isän pojan tyttären veljen siskon puolison vaimon miehen pikkuveli pikkusisko isäpuoli äitipuoli
sosiaaliohjaaja vastuutyöntekijä yhteyshenkilö yhteyshenkilöksi lähihoitaja perhetyöntekijä dos tri
mor far son dotter bror syster make maka fru herr klienten mamma pappa sambo grannen tolken barnet
socialarbetare hemvårdaren servicehandledaren stödpersonen hustrun
lääk sair ft tt sos pastor pastori rev läk
mother father daughter brother sister wife husband client mr mrs ms dr son supervisor nurse prof sh th
partner mum mom dad grandmother grandfather grandma grandpa aunt uncle cousin boyfriend girlfriend fiancé fiance
stepfather stepmother guardian carer worker doctor gp therapist teacher midwife neighbour neighbor friend
counsellor counselor psychologist psychiatrist physiotherapist landlord landlady lawyer employer boss school
kurator skolkurator läkare sjuksköterska pojkvän flickvän moster faster morbror farbror mormor farmor morfar farfar
kusin lärare
soitettu soitin puhuttu ilmoitettu kerrottu tavattu lähetetty sovittu keskusteltu tapasi tapasin kysyin
ringde träffade met
""")
SPEECH_VERBS = _words("""
kertoo kertoi soitti soittaa ilmoitti ilmoittaa toivoo toivoi pyytää pyysi sanoo sanoi kävi käy saapui tuli
asuu asui haluaa halusi osallistui osallistuu hakee haki lupasi lupaa tarvitsee on oli ei eli ja hoitaa
jatkaa suositteli arvioi kaatui vastaa kieltäytyi allekirjoitti toimittaa toimitti lähettää lähetti maksaa
maksoi muutti muuttaa nukkui nukkuu itki itkee söi syö vastasi lähti lähtee meni menee tapasi toi tuo hoiti
jäi palasi kysyi kysyy sairastui aloitti aloittaa lopetti työskentelee opiskelee kertovat saapuu
berättar berättade ringde säger sade bor kom har är var och deltog vill ska sköter hämtar ringer skickar
skickade betalar betalade flyttade sover sov svarade åkte träffade kommer gick går fick får frågade
says said called lives came is was has told asked agreed needs sent paid moved slept answered left went
täytti täyttää kuoli muisti muistaa pelkää pelkäsi tulee tulevat
attended arrived reported stated explained mentioned refused declined missed cancelled visited phoned emailed
wrote signed stayed lived works worked started stopped cried seemed looked appeared did didnt does doesnt
had got gets wants wanted felt feels thinks thought knows knew met saw returned described denied admitted
shouted ran fell ate sleeps eats took gave brought lost won turned
""")
# A name in the allative/ablative/adessive before a passive or "has": "Virtaselle soitettu", "Kalliolla ei ole".
TO_SOMEONE = ("lle", "lta", "ltä", "lla", "llä")
PASSIVES = _words("""
soitettu myönnetty haetaan haettu varataan varattu lähetetty tarjottu ilmoitettu kerrottu annettu tehty
järjestetty maksettu päätetty on ei oli saatiin saatu pyydettiin pyydetty kysyttiin kysytty kerrottiin
annettiin lähetettiin toimitettiin tarjottiin ohjattiin ohjattu neuvottiin neuvottu myönnettiin myönnetään
ehdotettiin ohjeistettiin varattiin
""")
# After a name in the allative: support granted or offered to it is granted to a person (Elisalle myönnettiin).
GRANTED = _words("myönnettiin myönnetään myönnetty tarjottiin ehdotettiin ohjeistettiin neuvottiin")
WEAK = _words("on oli ei ja eli och har är var is was has")  # too common to say much on their own
# After a name in the genitive: family nouns and postpositions (Laineen perhe, Holms lägenhet, Kinnusen luona).
FOLLOWERS = _words("""
perhe perheen perheessä perheeseen luona luokse luota kanssa kotona kotiin asiakkuus lapset lapsi äiti isä
puoliso mukaan puolesta tytär poika veli sisko vanhemmat osoite asunto veljekset vointi voinnista terveys
terveydentila tilanne asiat asioista asiakassuunnitelma koulunkäynti lääkitys mielestä kertoman
dotter son mamma pappa fru man barn bror syster lägenhet ansökan advokat bedömning familj mående situation
hälsa
children mother father wife husband condition health situation
""")
# Words that are never names in a note of that language (pronouns, function words).
NEVER_NAMES = {
    "fi": _words("he hän me te se ne tämä tuo nämä ja on ei että"),
    "sv": _words("han hon vi ni de den det jag du dem oss man en ett och är hennes deras dess ingen inget inga "
                 "någon något några alla vem vad januari februari mars april maj juni juli augusti september "
                 "oktober november december måndag tisdag onsdag torsdag fredag lördag söndag"),
    "en": _words("he she we they it i you his her him them us the a an and is was"),
}
# Names that are also common words of the note's language: a name only with evidence.
LANGUAGE_WORDS = {
    "sv": _words("per bo hans ek lund holm berg strand björk lind ström sten hugo rut mark"),
    "en": _words("will mark hope grace bill rose faith joy may june april summer dawn rich frank sue pat art "
                 "bob jack guy lee dan amy ray"),
    "fi": frozenset(),
}

# Verbs of getting in touch: a lower-case first name right after one, in a note typed without capitals, is
# a person ("soitin tuulille", "tavattu satu", "ringde lasse", "called will").
# Between a verb of getting in touch and the person: ringde till johan, pratade med stig, spoke to grace.
CONTACT_PREPOSITIONS = _words("till med åt with to")
CONTACT = _words("""
soitin soitettu tavattu tapasin puhuin keskustelin kävin tapaaminen soitto puhelu
ringde träffade pratade talade hos mötet
called met phoned spoke emailed visited saw email texted messaged
""")
# Prepositions before a place (i Malm, från Kallio, in Kallio): a place name there is a place.
PLACE_PREPOSITIONS = _words("i från till på mot vid via genom in from to at near on through")
# Nouns after a place in the genitive (Malmin sosiaaliasemalla): the name is the place's.
INSTITUTIONS = _words("""
takana vieressä edessä lähellä lähistöllä kohdalla alueella kaupunginosassa kaupunginosa kylässä
sosiaaliasema sosiaaliasemalla sosiaaliasemalle sosiaaliasemalta terveysasema terveysasemalla terveysasemalle
kirjasto kirjastossa koulu koulussa koululla päiväkoti päiväkodissa toimipiste toimipisteessä toimipisteeseen
asema asemalla kampus kampuksella sairaala sairaalassa keskus keskuksessa neuvola neuvolassa kirkko kirkossa
""")
STREET_AFTER = _words("street road avenue lane drive square way gatan vägen katu tie")
# Swedish definite forms of kinship and role words (dottern, brodern, mamman): the base form is in the list.
DEFINITE = ("en", "n", "et", "t", "na", "arna", "erna")

# Months that are also names (May, June, April; Swedish maj, juni): a date when a day's number stands beside them.
MONTH_WORDS = frozenset({"january", "february", "march", "april", "may", "june", "july", "august", "september",
                         "october", "november", "december", "januari", "februari", "mars", "maj", "juni", "juli",
                         "augusti", "oktober"})
SHORT_MONTHS = frozenset({"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"})
# A month beside a day's number is a date (5 June 2024, June 5th, 3 maj), whatever names it also is; a shortened
# one (20 Nov 2023) only with its year, since Jan is also a name (klo 10 Jan soitti).
_DAY_BEFORE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\.?\s(?:of\s)?$")
_DAY_AFTER = re.compile(r"\.?\s\d{1,2}(?:st|nd|rd|th)?\b")
_YEAR_AFTER = re.compile(r"\.?,?\s(?:19|20)\d\d\b")


def a_date(text: str, start: int, end: int, lang: str) -> bool:
    """The month of a date written around it: the day before it, or (English notes only, as dates.py reads them:
    Maj 85 v. is a woman of 85) the day after it."""
    low = text[start:end].lower()
    if low in MONTH_WORDS:
        return bool(_DAY_BEFORE.search(text, max(0, start - 10), start)
                    or (lang == "en" and _DAY_AFTER.match(text, end)))
    return low in SHORT_MONTHS and bool(_DAY_BEFORE.search(text, max(0, start - 10), start)) \
        and bool(_YEAR_AFTER.match(text, end))
