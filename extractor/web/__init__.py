"""The web airlock: output checkers review, decide and release in a browser (`extractor serve`)."""
