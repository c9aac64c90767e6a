"""Costs from a phone (issue 14): sources, analysis, charts, budgets and exports."""
