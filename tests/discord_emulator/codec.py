"""The emulator's JSON: orjson when installed (it is in the default install), the standard module otherwise.

Every click costs the emulator several encodes and decodes (the INTERACTION_CREATE dispatch, the callback body,
its validation key, the reply's component copy); with the standard module they were a fifth of its CPU. The
output is the same JSON either way: compact separators, non-ASCII characters kept as UTF-8. What orjson would
treat otherwise goes to the standard module, so what is accepted or refused does not depend on orjson being
there: values it refuses to write (integers beyond 64 bits, non-string keys, dataclasses), text it refuses to
read (NaN, non-UTF-8) and text with a number of 19 digits, which it might read as a float beyond 64 bits.
(One difference is left: a NaN, which only the standard module reads, is written back as null.)
"""

from __future__ import annotations

import json
import re
from typing import Any

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

_COMPACT = (",", ":")
# A number of 19 digits or more (first, or after a colon, bracket or comma) may be beyond 64 bits, where orjson
# reads a float. Digits inside strings match too when they follow one of those characters: a slower path, no more.
_LONG_NUMBER_BYTES = re.compile(rb"(?:^|[\[:,])\s*-?\d{19}")
_LONG_NUMBER_TEXT = re.compile(r"(?:^|[\[:,])\s*-?\d{19}")
if _orjson is not None:
    # Types the standard module refuses must not turn into JSON here either: pass them on to it.
    _OPTIONS = _orjson.OPT_PASSTHROUGH_DATACLASS | _orjson.OPT_PASSTHROUGH_DATETIME
    _SORTED = _OPTIONS | _orjson.OPT_SORT_KEYS


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON of ``value``; ``sort_keys``: equal values give equal bytes (a cache key)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value, option=_SORTED if sort_keys else _OPTIONS)
        except TypeError:
            pass
    return json.dumps(value, sort_keys=sort_keys, separators=_COMPACT, ensure_ascii=False).encode()


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON text; raises ``ValueError`` when it is not JSON."""
    if isinstance(data, memoryview):
        data = bytes(data)
    long_number = _LONG_NUMBER_TEXT if isinstance(data, str) else _LONG_NUMBER_BYTES
    if _orjson is not None and long_number.search(data) is None:  # type: ignore[arg-type]
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError:
            pass  # the standard module decides: it also reads NaN and UTF-16 bodies
    return json.loads(data)


def copy(value: Any) -> Any:
    """A deep copy through JSON (tuples become lists), as stored by Discord."""
    return loads(dumps(value))
