"""The weekly digest as plain Python: schedule, content and rendering (no discord import here).

- `bot.digest.schedule`: when a server's digest falls, its period and week key, catch-up after downtime.
- `bot.digest.build`: the pure `build_digest` (the store reads are `bot.services.digest_reads.prepare_digest`).
- `bot.digest.render`: `render_digest` (messages of embed data within Discord's limits) and `chart_png`.
"""
