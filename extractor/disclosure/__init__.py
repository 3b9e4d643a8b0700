"""Disclosure control of what a query returned: aggregate counts (aggregate.py), tables with margins, primary
and secondary suppression, LP audit and DP (tables/), record-level outputs (records/), and the privacy budget.
Imports config and the release store (budget); never the checker.
"""
