"""The phone dashboard's server side: a Telegram Mini App / web page at /app, served by `opsbot serve` as the
"app" channel (docs/dashboard.md)."""
