"""The language of each note (fi, sv or en): a vote of function words, then langid where the vote is close.

Finnish social-welfare records are written in Finnish or Swedish, now and then in English. A note of a
sentence or more shows its language in its commonest words (ja/on/ei, och/är/inte, and/is/the): that
vote runs over a whole column in Rust. Short notes ("Nystroms dotter sköter räkningarna.") may hold no
function word; those go to py3langid (a character n-gram model, BSD-3-Clause, offline) limited to fi, sv and
en: its model restricted to those three is shipped in extractor/data/langid (scripts/make_langid_model.py),
read in about a quarter of the time its own 97-language model takes to unpack (0.6-1.3 s in every such
process).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import polars as pl

from extractor.shipped import shipped

LANGUAGES = ("fi", "sv", "en")
MODEL = shipped("data", "langid", "fi_sv_en.npz")
FUNCTION_WORDS: dict[str, tuple[str, ...]] = {
    "fi": ("ja", "on", "ei", "että", "hän", "oli", "kanssa", "ovat", "asiakas", "asiakkaan", "myös", "mutta",
           "kun", "jos", "se", "ole", "sekä", "nyt", "vielä", "tai", "hänen", "häntä", "hänelle", "ollut",
           "tänään", "kotona", "kertoo", "kertoi", "luona", "lapsen", "äiti", "isä"),
    "sv": ("och", "är", "inte", "att", "det", "han", "hon", "som", "med", "för", "på", "till", "har", "av",
           "om", "ett", "var", "den", "klienten", "klientens", "hans", "hennes", "hade", "kan", "vill",
           "också", "eller", "efter", "sin", "sitt", "sina"),
    "en": ("the", "and", "is", "was", "he", "she", "to", "of", "with", "for", "his", "her", "has", "have",
           "client", "client's", "at", "be", "will", "that", "this", "they", "not", "from", "about",
           "on", "it", "a", "an", "are", "were", "had", "but", "or", "we", "been"),  # "on" is Finnish too: a tie
}


MARGIN = 1  # votes by which the leading language must win (a tie: langid decides)


def votes(texts: pl.Series) -> pl.DataFrame:
    """Per text, how many of its words (runs of letters and apostrophes, in lower case) are each language's
    function words: columns fi, sv, en."""
    # Every word between two spaces of its own, so that a vote is a literal match of " word " (no \b: Rust's
    # regex would leave its fast engine for a Unicode word boundary), counted by one Aho-Corasick pass per
    # language: at most one function word starts at any space, so the matches are the words.
    # The spaced text is made once (an eager select evaluates a shared expression once per use: three times).
    letters = pl.col("t").fill_null("").str.to_lowercase().str.replace_all(r"[^\p{L}']+", "  ")
    spaced = pl.DataFrame({"t": texts.cast(pl.String)}).select(
        pl.concat_str(pl.lit(" "), letters, pl.lit(" ")).alias("t"))
    return spaced.select(pl.col("t").str.extract_many([f" {word} " for word in words]).list.len().alias(lang)
                         for lang, words in FUNCTION_WORDS.items())


def detect_languages(texts: pl.Series) -> pl.Series:
    """'fi', 'sv' or 'en' for each text (null texts: 'fi')."""
    frame = votes(texts)
    best = pl.when((pl.col("sv") > pl.col("fi")) & (pl.col("sv") >= pl.col("en"))).then(pl.lit("sv")) \
        .when((pl.col("en") > pl.col("fi")) & (pl.col("en") > pl.col("sv"))).then(pl.lit("en")).otherwise(pl.lit("fi"))
    top = pl.max_horizontal("fi", "sv", "en")
    second = pl.sum_horizontal("fi", "sv", "en") - top - pl.min_horizontal("fi", "sv", "en")
    frame = frame.with_columns(best.alias("language"), (top - second < MARGIN).alias("close"),
                               texts.cast(pl.String).fill_null("").alias("t"))
    close = frame.with_row_index("i").filter(pl.col("close") & (pl.col("t").str.len_chars() > 0))
    if close.height:
        classify = _langid()
        decided = pl.Series([classify(t)[0] for t in close["t"].to_list()], dtype=pl.String)
        frame = frame.with_columns(frame["language"].scatter(close["i"], decided))
    return frame["language"]


@cache
def _langid() -> Callable[[str], tuple[str, float]]:
    """py3langid's classifier over fi, sv and en, from the shipped restricted model: the same answers as
    `LanguageIdentifier.from_modelpath(...).set_languages(LANGUAGES)` (tests/test_freetext_language_model.py)."""
    from py3langid.langid import LanguageIdentifier
    from py3langid.modelio import _to_array

    with np.load(MODEL, allow_pickle=False) as model:
        identifier = LanguageIdentifier(model["ptc"], model["pc"], model["classes"].tolist(),
                                        _to_array(model["nextmove"]), model["out_feat"].tolist(),
                                        tk_row=_to_array(model["nextmove_row"]))
    return identifier.classify
