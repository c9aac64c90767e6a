"""What every package shares, importing no other package of ours: the typed, frozen models that cross packages
(`Message`, `Reply`, `Intent`, `ActionRequest`), the settings and how a bad one is told, the error tree, the outbox
streams, the Redis connection, stage metrics, durations as people read them, and the masking of secrets and of
untrusted text."""
