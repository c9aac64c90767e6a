"""Alert intake tests that use a real Alertmanager as the sender."""
