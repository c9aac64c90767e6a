"""Azure: virtual machines and VM scale sets of the configured subscriptions, through azure-mgmt-compute."""

from actions.azure.backend import AzureBackend

__all__ = ["AzureBackend"]
