"""Dataset layer: one module per Parquet dataset (its SCHEMA), atomic writes, readers, trends.

Knows nothing of flows. Every dataset lives in `<data-dir>/<name>/` as Hive-partitioned Parquet.
"""
