"""CSV exports of poll results: per-answer counts always, per-voter rows only for public polls."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from bot.polls.tally import Tally


def results_csv(
    question: str,
    tally: Tally,
    votes: Sequence[tuple[str, str, datetime]] | None,
    headers: dict[str, str],
) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheet programs read accents) of a poll's results.

    `votes` are (member id, answer label, time) rows and must be None for anonymous polls: their voters
    are never exported. `headers` holds the translated column names.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([headers["question"], question])
    writer.writerow([headers["voters"], tally.voters])
    writer.writerow([])
    writer.writerow([headers["answer"], headers["count"], headers["percent"]])
    for answer in tally.answers:
        writer.writerow([answer.label, answer.count, f"{answer.percent:.1f}"])
    if votes is not None:
        writer.writerow([])
        writer.writerow([headers["member"], headers["answer"], headers["time"]])
        for member, label, moment in votes:
            writer.writerow([member, label, moment.isoformat()])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
