"""Benchmarks run by `opsbot bench`. They print figures; they never fail a test run."""
