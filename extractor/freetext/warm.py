"""Imported by the process pool's fork server: the analyzer is built once and every worker inherits it."""

from extractor.freetext.engine import analyzer
from extractor.freetext.names import gazetteer

analyzer()
gazetteer()
