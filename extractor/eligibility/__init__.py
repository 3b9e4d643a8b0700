"""Who may be in an extract: the registers of people's choices (opt-outs, consents, disclosure bans) checked and
prepared, one SQL condition per rule, the exclusion ledger in precedence order, the DPO's overdue lists.
Imports config and sources; nothing downstream.
"""
