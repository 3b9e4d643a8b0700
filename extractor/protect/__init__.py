"""What the researcher's query may see: the sandbox database of eligible rows with identifiers dropped, keys
as HMAC pseudonyms, dates shifted, free text de-identified (text.py over freetext/), and the locked
connection that runs the query (sandbox.py). Imports config, eligibility's results and freetext.
"""
