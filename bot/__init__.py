"""Channel adapters (console now; Slack, Telegram, Twilio later), the CLI, and per-channel rendering."""
