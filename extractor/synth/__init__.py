"""The synthetic Finnish social-welfare registry: people, documents, choices and annotated case notes,
streamed in blocks to Parquet (parquet_sink.py). Imports reference data and hetu only.
"""
