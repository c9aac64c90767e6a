"""`python -m bench [NAME ...]`, which `opsbot bench` runs in a process of its own: the benchmarks drive `bot`,
so `bot` never imports them (no bot <-> bench import cycle)."""

import sys

from bench.runner import main

sys.exit(main(sys.argv[1:]))
