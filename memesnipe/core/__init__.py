"""Pure logic: strategies, allocation, risk, stops, fills. Never imports faust, Kafka, httpx or connectors."""
