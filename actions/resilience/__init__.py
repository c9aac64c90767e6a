"""Resilience for cloud calls: a circuit breaker per endpoint, retries with jitter, a client-side rate limit.

`actions.multicloud` wraps every backend call in `Guard.call(scope.key, scope.label, fn)` and hands the backends
a `RateLimiter` as their `Throttle`. Each part is built on the field's library for it: pybreaker (breaker), and
opsbot's one way to retry and to limit a rate - tenacity (`core.retrying`), limits (`core.rate_limits`)."""

from actions.resilience.circuit import BreakerState, EndpointHealth
from actions.resilience.guard import Guard
from actions.resilience.rate_limit import RateLimiter

__all__ = ["BreakerState", "EndpointHealth", "Guard", "RateLimiter"]
