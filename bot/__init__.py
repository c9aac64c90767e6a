"""Where opsbot meets the outside world: the channel adapters (console, `slack/`, `telegram/`), the Twilio pager and
its webhooks (`twilio/`), the alert webhooks (`intake/`), the `Inbox` (inbound) and the `Deliverer` (outbound,
in order per conversation at each platform's pace), the HTTP app and `opsbot serve`, the composition root
(`runtime`) and the `opsbot` CLI. Only this package imports a chat or phone SDK."""
