"""The benchmarks `opsbot bench` runs in a process of its own (`python -m bench`): parse, search, inventory, queue,
audit, voice, the clouds, and chat and alerts end to end against the loopback fakes. They print figures against
their goals and never fail; some need the `bench` extra. `bot` never imports them."""
