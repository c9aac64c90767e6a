"""Slack channel tests: real slack_bolt / slack_sdk against a loopback fake of the Web API."""
