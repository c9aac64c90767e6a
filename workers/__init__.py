"""Work away from the chat path: the RQ queues (JSON jobs), the job that runs an action with its audit, progress,
idempotency, retries and timeout, failure and abandonment reports (leases, the reaper), the worker processes, the
real clouds' inventory refresher, the `Pager` seam to the phone network, and alert escalation
(`escalation/`)."""
