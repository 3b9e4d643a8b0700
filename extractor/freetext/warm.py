"""Imported by the process pool's fork server: the analyzer is built once and every worker inherits it."""

from .engine import analyzer
from .names import gazetteer

analyzer()
gazetteer()
