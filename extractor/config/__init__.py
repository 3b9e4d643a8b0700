"""The three TOML files (catalog, policy, request) validated into frozen dataclasses, and the one registry of
eligibility rules (rules.py). Imports only errors, shipped and reference data: every stage reads config, config
reads no stage.
"""
