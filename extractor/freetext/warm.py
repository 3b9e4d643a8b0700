"""Imported by the process pool's fork server: the analyzer, the gazetteer, the word lists and the index of
names near a typo, the written-out letter classes are built once and every worker inherits them."""

from extractor.freetext import dictionary, letters, unknown_words
from extractor.freetext.engine import analyzer
from extractor.freetext.names import gazetteer

analyzer().nlp_engine.warm()
gazetteer()
for _lang in ("sv", "en"):
    dictionary.word_list(_lang)
dictionary.trade_terms()
unknown_words.near_name("warmup")
letters.word_pattern("")
letters.letters_pattern("")
