"""The output checker: it re-reads the files that would be released and verifies them itself (manifest hashes,
allowed shapes, thresholds and rounding by its own count rule, the tables' audit against the controller's
exact values, the residual-identifier scan).

May import: config (the policy's numbers), files, release.layout, errors. Must not import eligibility, protect
or the pipeline. Still shared with the pipeline, to be replaced by the checker's own implementations: the
table structure and LP audit (disclosure.tables.structure, lp_audit) and the free-text detector (freetext).
"""
