"""Tribune's benchmark suite: figures printed as one table, never asserted, never run in CI.

Run from the repository root (so ``tests.discord_emulator`` is importable)::

    python -m bench                 # every group, then rewrites bench/RESULTS.md
    python -m bench votes tally     # some groups (their sections of RESULTS.md are replaced)
    python -m bench --list          # the groups

Groups (one module each; ``python -m bench --list`` names them all): ``votes`` (vote path, ack-only ceiling,
SQLite ceiling, the store's own write), ``tally`` (10,000-vote burst: edits, 429s, final tally delay),
``startup`` (ready-to-vote time and RSS with 0/10k/100k open polls, a fresh bot process per run), ``memory``
(RSS for up to 1,000 servers), ``digest`` (weekly digest build on 100 polls, 1M votes, 10k opinions),
``summary`` (article analysis and the pipeline's import time), ``web`` (public results JSON during a vote
burst), ``postgres`` (the store and the sharded bot on PostgreSQL), ``quality`` and ``arguments`` (article
understanding, argument groups).

The measured path is the real one: the real ``Tribune`` bot on a real SQLite file, driven through the
project's Discord emulator over real HTTP and a real gateway WebSocket. The bot runs in a process of its own
(``bench/process.py``), the emulator in the bench process. Each group finishes in under two minutes on two cores.
"""

from __future__ import annotations
