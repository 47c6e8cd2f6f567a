"""Kafka topic replay: re-run the pipeline over a time range without touching the live one."""
