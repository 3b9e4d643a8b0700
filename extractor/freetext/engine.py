"""An AnalyzerEngine that never touches the network.

presidio's default engine downloads a spaCy model; its e-mail recognizer makes tldextract fetch the
public-suffix list. Here: blank spaCy pipelines for fi, sv and en with a component that copies each
token's lower form into its lemma (presidio matches context words against lemmas, which blank
pipelines leave empty), tldextract told to use its bundled list, and our own recognizer registry.
"""

from __future__ import annotations

from functools import cache

# The package __init__ has told tldextract to stay offline before this module imports presidio.
import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import EmailRecognizer
from spacy.language import Language

from extractor.freetext.recognizers import (
    AddressRecognizer,
    FinnishPhoneRecognizer,
    HetuRecognizer,
    IbanRecognizer,
    NameRecognizer,
    PostalCodeRecognizer,
    YTunnusRecognizer,
)

LANGUAGES = ("fi", "sv", "en")


@Language.component("extractor_lower_lemma")
def _lower_lemma(doc):  # type: ignore[no-untyped-def]
    for token in doc:
        token.lemma_ = token.lower_
    return doc


def _blank(lang: str) -> Language:
    nlp = spacy.blank(lang)
    nlp.add_pipe("extractor_lower_lemma")
    return nlp


class _Pipelines(dict):
    """Language code -> its blank pipeline, made when a note in that language first needs it: each costs about
    0.1-0.2 s to make, and most runs read notes in one language (a process reading only Finnish makes one)."""

    def __getitem__(self, lang: str) -> Language:
        nlp = dict.__getitem__(self, lang)
        if nlp is None:
            nlp = _blank(lang)
            self[lang] = nlp
        return nlp


class BlankSpacyNlpEngine(SpacyNlpEngine):
    """spaCy tokenisation only: no model files, no downloads."""

    def __init__(self, languages: tuple[str, ...] = LANGUAGES) -> None:
        super().__init__(models=[{"lang_code": lang, "model_name": f"blank:{lang}"} for lang in languages])

    def load(self) -> None:
        self.nlp = _Pipelines.fromkeys(model["lang_code"] for model in self.models)

    def warm(self) -> None:
        """Every language's pipeline made now (the process pool's fork server: its workers inherit them)."""
        for lang in self.nlp:
            self.nlp[lang]  # noqa: B018 - made on first reading


def registry(languages: tuple[str, ...] = LANGUAGES) -> RecognizerRegistry:
    reg = RecognizerRegistry(supported_languages=list(languages))
    for lang in languages:
        reg.add_recognizer(HetuRecognizer(lang))
        reg.add_recognizer(YTunnusRecognizer(lang))
        reg.add_recognizer(IbanRecognizer(lang))
        reg.add_recognizer(FinnishPhoneRecognizer(lang))
        reg.add_recognizer(EmailRecognizer(supported_language=lang))
        reg.add_recognizer(AddressRecognizer(lang))
        reg.add_recognizer(PostalCodeRecognizer(lang))
        reg.add_recognizer(NameRecognizer(lang))
    return reg


@cache
def analyzer(languages: tuple[str, ...] = LANGUAGES) -> AnalyzerEngine:
    nlp = BlankSpacyNlpEngine(languages)
    nlp.load()
    return AnalyzerEngine(nlp_engine=nlp, registry=registry(languages), supported_languages=list(languages))
