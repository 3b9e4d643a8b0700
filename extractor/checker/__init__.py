"""The output checker, a second implementation: it re-reads the files that would be released and verifies them
with its own code — manifest hashes and allowed shapes, thresholds and rounding by its own count rule
(count_rule.py), the tables' additivity and attacker intervals by its own equations, certificate check and
LPs (lines.py, intervals.py), identifiers by its own patterns and name lookup (identifiers.py).

May import: config (the policy's numbers), reference_data (the name lists), files, release.layout, errors.
Must not import eligibility, protect, freetext, disclosure or the pipeline (tests/test_checker_imports.py).
"""
