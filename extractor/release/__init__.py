"""Publishing a run: the run folder (staging, manifest, atomic publish, latest), the state store with its
hash-chained audit log, and the two-reviewer airlock. Imports config and files; the checker for re-checks.
"""
