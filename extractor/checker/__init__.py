"""The output checker: it re-reads the files that would be released and verifies them on its own (manifest
hashes, allowed shapes, thresholds and rounding, the tables' audit, the residual-identifier scan).
It must not import eligibility, protect or the pipeline; its remaining uses of disclosure and freetext
code are to be replaced by its own implementations (the checker is to share no code with the pipeline).
"""
