"""Loopback fakes of the platforms opsbot talks to; each serves on 127.0.0.1 only."""
