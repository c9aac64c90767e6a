"""Escalation of alerts: the engine that routes, stores, posts and escalates each new alert, its steps (chat,
direct message, SMS, call) on timers in Redis that every worker process runs, the cards and their edits on every
channel, on-call overrides from chat, and the desk (`alerts.desk.Desk`) through which any channel acts on an
alert."""
