"""The real clouds' inventory cache: written by workers (store), read by chat processes (reader)."""
