"""The append-only, hash-chained audit log (fsync'd before the action it records runs), the chain's head in Redis
and signed checkpoints beside the file, `opsbot audit verify`, and what happens while the log cannot be
written."""
