"""The AWS backend: EC2 instances, Auto Scaling groups and EBS volumes through boto3."""

from actions.aws.backend import AwsBackend

__all__ = ["AwsBackend"]
