"""The researcher's side: codebook, dummy data, try, query tests (no key, no real data)."""
