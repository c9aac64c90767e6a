"""Metrics read from the monitoring systems a team already runs (Prometheus, CloudWatch, Azure Monitor, Cloud
Monitoring, or the simulated world's own series): one request shape, one series shape, a source per system."""
