"""The AWS backend behind `actions.backend.CloudBackend`: EC2 instances, Auto Scaling groups and EBS volumes
through boto3, with recent CPU from CloudWatch and month-to-date spend from Cost Explorer."""

from actions.aws.backend import AwsBackend

__all__ = ["AwsBackend"]
