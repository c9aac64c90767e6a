"""Disaster recovery runs: what a runbook run is asked to do (`RunbookRequest`, bound to its approval), and what it
did, step by step (`RunbookRun`, kept in Redis by `runs.RunBook`). The runbooks themselves are policy files
(policies/runbook_model.py); the workers run them (workers/runbook_*.py)."""
