"""Alerts from the monitoring systems: each source's payload read into normalised `Incoming`s (`sources/`), the
stored alert with its short number, its state (firing -> acknowledged -> resolved) and dedupe by fingerprint in
Redis (`store`), how an alert reads in chat (`text`), and the `Desk` protocol through which the conversation and
the bot act on alerts (`desk`). Routing, escalation and paging are `workers.escalation`'s, which implements the
desk."""
