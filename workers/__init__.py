"""RQ queues and the job wrappers around actions: audit, progress, idempotency, retries, timeouts."""
