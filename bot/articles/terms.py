"""French-aware terms and TF-IDF vectors, shared by the summarizer and the digest's argument groups.

Tokens are lower-cased words (decimals kept whole), stop words of the text's language dropped, plurals
lightly folded. Vectors are sparse dicts: the texts this bot handles are short and their vocabulary small.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

TOKEN = re.compile(r"\w+(?:[.,]\d+)*", re.UNICODE)


def stem(word: str) -> str:
    """Light plural folding ("puces" → "puce", "réseaux" → "réseau"): enough for overlap measures."""
    if len(word) > 4 and word[-1] in "sx" and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str, stops: frozenset[str]) -> list[str]:
    """The content terms of `text`, in order (stop words and one-letter tokens dropped, plurals folded)."""
    found: list[str] = []
    for token in TOKEN.findall(text.lower()):
        if token in stops or (len(token) < 2 and not token.isdigit()):
            continue
        found.append(stem(token))
    return found


def tfidf_vectors(term_lists: Sequence[list[str]]) -> list[dict[str, float]]:
    """Unit TF-IDF vectors (sublinear tf, smoothed idf)."""
    count = len(term_lists)
    document_frequency: Counter[str] = Counter()
    for found in term_lists:
        document_frequency.update(set(found))
    vectors: list[dict[str, float]] = []
    for found in term_lists:
        weights = {
            term: (1.0 + math.log(tf)) * (math.log((count + 1) / (document_frequency[term] + 1)) + 1.0)
            for term, tf in Counter(found).items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors.append({term: w / norm for term, w in weights.items()})
    return vectors


def dot(a: dict[str, float], b: dict[str, float]) -> float:
    """Dot product of two sparse vectors (the cosine when both are unit vectors)."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(term, 0.0) for term, w in a.items())
