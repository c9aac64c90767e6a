"""The Google Cloud backend behind `actions.backend.CloudBackend`: Compute Engine instances and zonal managed
instance groups (with their autoscalers' bounds), through google-cloud-compute."""

from actions.gcp.backend import GcpBackend

__all__ = ["GcpBackend"]
