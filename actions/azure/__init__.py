"""The Azure backend behind `actions.backend.CloudBackend`: virtual machines and VM scale sets (with their
autoscale limits) of the configured subscriptions, through azure-mgmt-compute."""

from actions.azure.backend import AzureBackend

__all__ = ["AzureBackend"]
