"""The output checker: it re-reads the files that would be released and verifies them itself (manifest hashes,
allowed shapes, thresholds and rounding by its own count rule, the tables' additivity and attacker intervals
by its own equations, certificate check and LPs, the residual-identifier scan).

May import: config (the policy's numbers), files, release.layout, errors. Must not import eligibility, protect,
disclosure or the pipeline. Still shared with the pipeline, to be replaced by the checker's own patterns and
name lookup: the free-text detector (freetext) behind the residual scan.
"""
