"""Escalation of alerts: timers in Redis, the steps of an escalation policy (chat, direct message, SMS, call),
and acting on an alert from any channel."""
