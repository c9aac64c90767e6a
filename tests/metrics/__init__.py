"""Metrics: sources, charts, questions and watches (issue: metrics from chat)."""
