"""What opsbot can do to the clouds and ask of them: the action catalogue (risk, queue, timeout, retries), the one
`CloudProvider` protocol, the simulated multi-cloud world (`simulated/`), the real clouds (`multicloud`: the `aws/`,
`azure/` and `gcp/` backends behind one `CloudBackend`, the Redis inventory cache in `inventory/`, breaker, retries
and rate limit in `resilience/`), plans and a group's own limits, and the read queries (`queries/`: search,
status, cost). Only the backends import a cloud SDK."""
