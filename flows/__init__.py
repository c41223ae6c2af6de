"""Orchestration: Prefect flows and the `qun` command. Calls spiders, models and datasets;
owns no extraction or storage logic itself."""
