"""Record-level outputs: generalisation hierarchies, the optimal k-anonymity / l-diversity search, and the
pseudonymised and anonymised record outputs. Imports config only.
"""
