"""Who may do what where: the policy file (YAML, pydantic schema, every problem as FILE:LINE), the visible chain
of checks a command passes (conversation, role, rate limit, blast radius, risk by the change's effect), the Redis
rate limiter, `opsbot check-config`, and the alerting file (`alerting/`)."""
