"""extractor: privacy-aware secondary-use research extracts from structured registry records."""

__version__ = "0.1.0"
