"""Free-text de-identification with presidio-analyzer, fully offline (blank spaCy pipelines)."""
