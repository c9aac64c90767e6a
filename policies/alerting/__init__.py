"""Alerting policy: where alerts go (routes, maintenance windows, event days), how they escalate (steps of
chat, SMS and calls), and who is on call (rotations with overrides). Declarative YAML plus the pure code that
evaluates it; the workers keep the state and do the paging."""
