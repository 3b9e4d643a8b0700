"""Everything people read: the DPO review report, the notices in fi/sv/en with their readability, the
per-person transparency records and statements, the yearly practice notice; Jinja2 templates from the
top-level reports/ folder (package data in a wheel). Imports the stages' result records, never their SQL.
"""
