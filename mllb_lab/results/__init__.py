"""The results store: verified, atomically ingested runs (Parquet) and an SQLite index."""
