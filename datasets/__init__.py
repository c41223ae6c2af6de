"""Dataset layer: one module per Parquet dataset (its SCHEMA), atomic writes, readers, the ingest
of crawl outputs, the streaming extraction of documents into mentions, and the derived tables.

Imports nothing of spiders, models or flows: the extractor and the crawl outputs it reads are
handed to it. Every dataset lives in `<data-dir>/<name>/` as Hive-partitioned Parquet.
"""
