"""Google Cloud (Compute Engine) behind `actions.backend.CloudBackend`."""

from actions.gcp.backend import GcpBackend

__all__ = ["GcpBackend"]
