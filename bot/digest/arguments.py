"""What the debate said: a poll's opinions grouped into arguments, each named and quoted.

Plain Python, deterministic, offline. The opinions become unit TF-IDF vectors with the summarizer's
French-aware terms (`bot.articles.terms`), then:

1. exact copies (same terms) are folded into one weighted point, so a pasted message cannot make a group;
2. a single leader pass, most useful opinions first, puts each opinion in the group whose centroid is the
   most similar, or opens a new group under `JOIN_SIMILARITY`. The candidates are only the groups sharing
   one of its heaviest terms that another opinion uses too (an inverted index), so the pass stays near
   linear: 10,000 opinions in well under a second, where all-pairs agglomerative clustering is quadratic;
3. one reassignment pass against the final centroids undoes the order's accidents;
4. the largest groups are merged agglomeratively, most similar pair first, while their centroids' cosine
   is at least `MERGE_SIMILARITY`: no preset number of groups, the thresholds decide.

Groups with fewer than `MIN_DISTINCT` different texts are left out (off-topic messages stay alone). Each
group is named by its most characteristic words (frequent in the group, rare elsewhere) and quoted by its
most central opinion, weighted by the useful marks it received. Where the caller knows how the authors
voted (public polls only: the store never links an anonymous vote to a member), a group takes the side
most of its voters took: pour, contre, or partagé.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.articles.language import stop_words
from bot.articles.terms import TOKEN, dot, stem, terms, tfidf_vectors
from bot.text import shorten

JOIN_SIMILARITY = 0.2  # opinion ↔ group centroid cosine needed to join a group
MERGE_SIMILARITY = 0.2  # centroid ↔ centroid cosine at which two groups merge
MERGE_CANDIDATES = 60  # only the largest groups take part in the merge (the others cannot be shown anyway)
INDEX_TERMS = 4  # an opinion looks for groups through its heaviest terms only
MIN_DISTINCT = 2  # different texts a group needs to be shown
MIN_SHARE = 0.02  # ... and at least this share of the opinions
MAX_PER_SIDE = 4
NAME_WORDS = 3
QUOTE_LIMIT = 200
SIDE_MAJORITY = 2 / 3  # share of a group's voters on one side for the group to take that side

PRO, CONTRA, MIXED, DIVIDED = "pour", "contre", "mixte", "partagé"
NO_OPINION_LABELS = frozenset({"sans avis", "no opinion"})


@dataclass(frozen=True)
class OpinionText:
    """One visible opinion, as the grouping needs it."""

    id: int
    text: str
    useful: int = 0
    # The author's side (PRO, CONTRA, MIXED or a choice poll's answer); None when unknown, which it always
    # is on an anonymous poll.
    stance: str | None = None
    member_id: int = 0
    url: str | None = None


@dataclass(frozen=True)
class Argument:
    """One group of opinions that say the same thing."""

    side: str | None  # PRO, CONTRA, DIVIDED or an answer; None when votes are not linked (themes only)
    words: tuple[str, ...]  # most characteristic words, most telling first
    size: int  # opinions in the group, copies included
    quote: str  # the representative opinion, ≤ QUOTE_LIMIT characters, cut at a word
    opinion_id: int  # the quoted opinion
    opinion_ids: tuple[int, ...]  # every opinion of the group
    url: str | None = None  # jump link to the quoted opinion, when known


def stance_of(kind: str, options: Sequence[tuple[int, str, float | None]], positions: Iterable[int]) -> str | None:
    """The side a voter took from the answers they hold (`options`: position, label, score).

    Scale polls: above the middle score is pour, below is contre. The credible/relevant matrix: the first
    answer is pour, the fourth contre, the two in between mixte. Choice polls: the answer itself. "Sans
    avis" and no vote give None.
    """
    by_position = {position: (label, score) for position, label, score in options}
    held = [by_position[p] for p in sorted(set(positions)) if p in by_position]
    held = [(label, score) for label, score in held if label.strip().lower() not in NO_OPINION_LABELS]
    if not held:
        return None
    if kind == "scale":
        scores = [score for _, score in held if score is not None]
        if not scores:
            return None
        mean = sum(scores) / len(scores)
        return PRO if mean > 50 else CONTRA if mean < 50 else MIXED
    if kind == "matrix" and len(options) == 5:
        stances = {PRO if p == 0 else CONTRA if p == 3 else MIXED for p in sorted(set(positions)) if p in (0, 1, 2, 3)}
        return stances.pop() if len(stances) == 1 else MIXED
    labels = {label for label, _ in held}
    return labels.pop() if len(labels) == 1 else MIXED


# --- clustering ----------------------------------------------------------------------------------------


def _stops(language: str) -> frozenset[str]:
    # Members write in either language whatever the server's: both stop lists apply.
    return stop_words(language) | stop_words("en" if language == "fr" else "fr")


def _norm(vector: dict[str, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values())) or 1.0


def _add(into: dict[str, float], vector: dict[str, float], weight: float) -> None:
    for term, w in vector.items():
        into[term] = into.get(term, 0.0) + w * weight


def _heaviest(vector: dict[str, float], shared: set[str]) -> list[str]:
    # A term no other opinion uses cannot lead anywhere: the heaviest of the shared ones.
    return sorted((term for term in vector if term in shared), key=lambda term: (-vector[term], term))[:INDEX_TERMS]


class _Groups:
    """Groups as centroid sums, found through an inverted index over their leaders' heaviest terms."""

    def __init__(self) -> None:
        self.sums: list[dict[str, float]] = []
        self.norms: list[float] = []
        self.index: defaultdict[str, list[int]] = defaultdict(list)

    def open(self, vector: dict[str, float], weight: float, keys: Iterable[str]) -> int:
        group = len(self.sums)
        self.sums.append({term: w * weight for term, w in vector.items()})
        self.norms.append(weight)
        for term in keys:
            self.index[term].append(group)
        return group

    def best(self, vector: dict[str, float], keys: Iterable[str]) -> tuple[int, float]:
        candidates = sorted({group for term in keys for group in self.index.get(term, ())})
        best, best_similarity = -1, 0.0
        for group in candidates:
            similarity = dot(vector, self.sums[group]) / self.norms[group]
            if similarity > best_similarity:
                best, best_similarity = group, similarity
        return best, best_similarity

    def join(self, group: int, vector: dict[str, float], weight: float) -> None:
        _add(self.sums[group], vector, weight)
        self.norms[group] = _norm(self.sums[group])


def _leader_pass(
    vectors: Sequence[dict[str, float]], weights: Sequence[float], order: Sequence[int], keys: Sequence[list[str]]
) -> tuple[list[int], _Groups]:
    groups = _Groups()
    assignment = [-1] * len(vectors)
    for point in order:
        group, similarity = groups.best(vectors[point], keys[point])
        if group >= 0 and similarity >= JOIN_SIMILARITY:
            groups.join(group, vectors[point], weights[point])
        else:
            group = groups.open(vectors[point], weights[point], keys[point])
        assignment[point] = group
    return assignment, groups


def _reassign(
    vectors: Sequence[dict[str, float]],
    assignment: list[int],
    groups: _Groups,
    order: Sequence[int],
    keys: Sequence[list[str]],
) -> list[int]:
    """Each point moves to the most similar final centroid among its candidates, if that beats its own."""
    moved = list(assignment)
    for point in order:
        own = assignment[point]
        own_similarity = dot(vectors[point], groups.sums[own]) / groups.norms[own]
        group, similarity = groups.best(vectors[point], keys[point])
        if group >= 0 and similarity > own_similarity + 1e-9:
            moved[point] = group
    return moved


def _unit_centroid(
    group: Sequence[int], vectors: Sequence[dict[str, float]], weights: Sequence[float]
) -> dict[str, float]:
    total: dict[str, float] = {}
    for point in group:
        _add(total, vectors[point], weights[point])
    norm = _norm(total)
    return {term: w / norm for term, w in total.items()}


def _merge(members: list[list[int]], vectors: Sequence[dict[str, float]], weights: Sequence[float]) -> list[list[int]]:
    """Centroid linkage among the largest groups, most similar pair first, until no pair is similar enough."""
    ranked = sorted(members, key=lambda group: (-sum(weights[p] for p in group), min(group)))
    head, tail = ranked[:MERGE_CANDIDATES], ranked[MERGE_CANDIDATES:]
    centroids: list[dict[str, float] | None] = [_unit_centroid(group, vectors, weights) for group in head]
    # A heap of candidate pairs; a pair whose group changed since it was pushed is stale and skipped.
    versions = [0] * len(head)
    heap: list[tuple[float, int, int, int, int]] = []
    for a in range(len(head)):
        for b in range(a + 1, len(head)):
            first, second = centroids[a], centroids[b]
            similarity = dot(first, second) if first is not None and second is not None else 0.0
            if similarity >= MERGE_SIMILARITY:
                heap.append((-similarity, a, b, 0, 0))
    heapq.heapify(heap)
    while heap:
        _, a, b, version_a, version_b = heapq.heappop(heap)
        if centroids[a] is None or centroids[b] is None or (versions[a], versions[b]) != (version_a, version_b):
            continue
        head[a] = head[a] + head[b]
        head[b] = []
        centroids[b] = None
        merged = centroids[a] = _unit_centroid(head[a], vectors, weights)
        versions[a] += 1
        for other, centroid in enumerate(centroids):
            if other == a or centroid is None:
                continue
            similarity = dot(merged, centroid)
            if similarity >= MERGE_SIMILARITY:
                low, high = min(a, other), max(a, other)
                heapq.heappush(heap, (-similarity, low, high, versions[low], versions[high]))
    return [group for group in head if group] + tail


@dataclass(frozen=True)
class _Clustering:
    groups: list[list[int]]  # indices of the opinions, largest group first
    term_lists: list[list[str]]  # each opinion's terms
    vectors: list[dict[str, float]]  # each opinion's unit TF-IDF vector (copies share theirs)


def _cluster(opinions: Sequence[OpinionText], language: str) -> _Clustering:
    stops = _stops(language)
    term_lists = [terms(opinion.text, stops) for opinion in opinions]
    # Copies fold into one point that weighs as much as its copies.
    points: dict[tuple[str, ...], list[int]] = {}
    for index, found in enumerate(term_lists):
        points.setdefault(tuple(found), []).append(index)
    keys = list(points)
    copies = [points[key] for key in keys]
    weights = [float(len(group)) for group in copies]
    vectors = tfidf_vectors([list(key) for key in keys])
    # Most useful first, so the leaders are the opinions members found the most telling.
    order = sorted(
        range(len(keys)),
        key=lambda p: (-max(opinions[i].useful for i in copies[p]), min(opinions[i].id for i in copies[p])),
    )
    document_frequency = Counter(term for key in keys for term in set(key))
    shared = {term for term, count in document_frequency.items() if count > 1}
    index_keys = [_heaviest(vector, shared) for vector in vectors]
    assignment, groups = _leader_pass(vectors, weights, order, index_keys)
    assignment = _reassign(vectors, assignment, groups, order, index_keys)
    by_group: dict[int, list[int]] = {}
    for point in order:
        if vectors[point]:
            by_group.setdefault(assignment[point], []).append(point)
        else:
            by_group.setdefault(-1 - point, []).append(point)  # no content word: alone
    merged = _merge(list(by_group.values()), vectors, weights)
    result = [sorted((i for point in group for i in copies[point]), key=lambda i: opinions[i].id) for group in merged]
    # By ids, not positions: the caller's order of the opinions changes nothing.
    result.sort(key=lambda group: (-len(group), opinions[group[0]].id))
    per_opinion: list[dict[str, float]] = [{} for _ in opinions]
    for point, indices in enumerate(copies):
        for index in indices:
            per_opinion[index] = vectors[point]
    return _Clustering(result, term_lists, per_opinion)


def cluster(opinions: Sequence[OpinionText], language: str = "fr") -> list[list[int]]:
    """Indices of `opinions` grouped by what they say, largest group first (every opinion in one group)."""
    return _cluster(opinions, language).groups


# --- naming, quoting, siding ---------------------------------------------------------------------------


def _words(
    group: Sequence[int], opinions: Sequence[OpinionText], term_lists: Sequence[list[str]], idf: dict[str, float]
) -> tuple[str, ...]:
    """The terms frequent in the group and rare elsewhere, as members most often spelled them."""
    in_group: Counter[str] = Counter()
    for index in group:
        in_group.update({term for term in term_lists[index] if len(term) > 2 and not term.isdigit()})
    floor = 2 if len(group) > 1 else 1
    scored = [((count / len(group)) * idf[term], term) for term, count in in_group.items() if count >= floor]
    best = [term for _, term in sorted(scored, key=lambda item: (-item[0], item[1]))[:NAME_WORDS]]
    spelled: dict[str, Counter[str]] = {term: Counter() for term in best}
    for index in group[:50]:  # the spelling of a few members is enough
        for token in TOKEN.findall(opinions[index].text.lower()):
            if stem(token) in spelled:
                spelled[stem(token)][token] += 1
    return tuple(
        min(spelled[term].items(), key=lambda item: (-item[1], item[0]))[0] if spelled[term] else term for term in best
    )


def _side(group: Sequence[OpinionText]) -> str | None:
    stances = Counter(opinion.stance for opinion in group if opinion.stance is not None)
    voters = sum(stances.values())
    if not voters:
        return None
    stance, count = min(stances.items(), key=lambda item: (-item[1], item[0]))
    if stance != MIXED and count / voters >= SIDE_MAJORITY:
        return stance
    return DIVIDED


def _representative(group: Sequence[int], opinions: Sequence[OpinionText], vectors: Sequence[dict[str, float]]) -> int:
    """The group's most central opinion, useful marks weighing in."""
    centroid: dict[str, float] = {}
    for index in group:
        _add(centroid, vectors[index], 1.0)
    norm = _norm(centroid)

    def score(index: int) -> tuple[float, int]:
        central = dot(vectors[index], centroid) / norm
        return (-central * (1.0 + 0.5 * math.log1p(opinions[index].useful)), opinions[index].id)

    return min(group, key=score)


def find_arguments(
    opinions: Sequence[OpinionText], language: str = "fr", max_per_side: int = MAX_PER_SIDE
) -> tuple[Argument, ...]:
    """The debate's arguments: at most `max_per_side` groups per side (or themes), largest first."""
    if not opinions:
        return ()
    found = _cluster(opinions, language)
    document_frequency: Counter[str] = Counter()
    for term_list in found.term_lists:
        document_frequency.update(set(term_list))
    total = len(opinions)
    idf = {term: math.log((total + 1) / (count + 1)) for term, count in document_frequency.items()}
    minimum = max(MIN_DISTINCT, math.ceil(MIN_SHARE * total))
    shown: list[Argument] = []
    per_side: Counter[str | None] = Counter()
    for group in found.groups:
        if len(group) < minimum or len({tuple(found.term_lists[i]) for i in group}) < MIN_DISTINCT:
            continue
        members = [opinions[i] for i in group]
        side = _side(members)
        if per_side[side] >= max_per_side:
            continue
        per_side[side] += 1
        quoted = opinions[_representative(group, opinions, found.vectors)]
        shown.append(
            Argument(
                side=side,
                words=_words(group, opinions, found.term_lists, idf),
                size=len(group),
                quote=shorten(" ".join(quoted.text.split()), QUOTE_LIMIT),
                opinion_id=quoted.id,
                opinion_ids=tuple(opinion.id for opinion in members),
                url=quoted.url,
            )
        )
    return tuple(shown)
