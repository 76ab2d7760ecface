"""Grouping a poll's opinions into arguments: the invented Trainium 2 debate, sides, themes, quotes."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from bot.digest.arguments import (
    CONTRA,
    DIVIDED,
    MAX_PER_SIDE,
    MIXED,
    PRO,
    QUOTE_LIMIT,
    OpinionText,
    cluster,
    find_arguments,
    stance_of,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "opinions" / "trainium2.json"
OFF_TOPIC = "hors_sujet"


def debate(with_votes: bool = True) -> tuple[list[OpinionText], dict[int, str]]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    opinions, expected = [], {}
    for number, row in enumerate(data["opinions"], start=1):
        stance = row["side"] if with_votes else None
        opinions.append(OpinionText(id=number, text=row["text"], useful=row["useful"], stance=stance))
        expected[number] = row["group"]
    return opinions, expected


def test_the_fixture_is_a_realistic_debate() -> None:
    opinions, expected = debate()
    groups = Counter(expected.values())
    assert 55 <= len(opinions) <= 65
    assert len(groups) >= 6 and groups[OFF_TOPIC] >= 3
    texts = Counter(opinion.text for opinion in opinions)
    assert sum(count - 1 for count in texts.values()) >= 2  # a few copies


def test_groups_are_pure_cover_the_debate_and_never_quote_off_topic() -> None:
    opinions, expected = debate()
    arguments = find_arguments(opinions)
    grouped = [opinion_id for argument in arguments for opinion_id in argument.opinion_ids]
    assert len(grouped) == len(set(grouped))  # an opinion sits in one group
    majority = sum(Counter(expected[i] for i in a.opinion_ids).most_common(1)[0][1] for a in arguments)
    purity = majority / len(grouped)
    on_topic = [i for i, group in expected.items() if group != OFF_TOPIC]
    coverage = sum(1 for i in grouped if expected[i] != OFF_TOPIC) / len(on_topic)
    assert purity >= 0.8
    assert coverage >= 0.7  # all-singletons would be "pure": most of the debate must be grouped too
    assert {expected[a.opinion_id] for a in arguments}.isdisjoint({OFF_TOPIC})
    # The six argument groups of the fixture each come out as (at least) one group's majority.
    found = {Counter(expected[i] for i in a.opinion_ids).most_common(1)[0][0] for a in arguments}
    assert found == set(expected.values()) - {OFF_TOPIC}


def test_groups_take_their_voters_side_and_at_most_four_per_side() -> None:
    opinions, expected = debate()
    arguments = find_arguments(opinions)
    sides = Counter(argument.side for argument in arguments)
    assert all(count <= MAX_PER_SIDE for count in sides.values())
    pro_groups = {"anthropic", "dependance", "annapurna"}
    for argument in arguments:
        leading = Counter(expected[i] for i in argument.opinion_ids).most_common(1)[0][0]
        assert argument.side == (PRO if leading in pro_groups else CONTRA)
    assert find_arguments(opinions, max_per_side=1) and all(
        count == 1 for count in Counter(a.side for a in find_arguments(opinions, max_per_side=1)).values()
    )


def test_a_group_of_split_voters_is_divided() -> None:
    texts = [
        "Le prix des abonnements va encore augmenter avec ces puces maison.",
        "Les abonnements vont augmenter, le prix suivra la facture des puces.",
        "Le prix des abonnements cloud ne baissera pas pour autant.",
        "Encore une hausse du prix des abonnements à prévoir.",
    ]
    stances = [PRO, CONTRA, PRO, CONTRA]
    opinions = [
        OpinionText(id=i, text=text, stance=stance) for i, (text, stance) in enumerate(zip(texts, stances, strict=True))
    ]
    (argument,) = find_arguments(opinions)
    assert argument.side == DIVIDED and argument.size == 4


def test_without_linked_votes_there_are_themes_only() -> None:
    opinions, _ = debate(with_votes=False)
    arguments = find_arguments(opinions)
    assert arguments and all(argument.side is None for argument in arguments)
    assert len(arguments) <= MAX_PER_SIDE


def test_names_are_characteristic_words_and_quotes_fit() -> None:
    opinions, expected = debate()
    by_id = {opinion.id: opinion for opinion in opinions}
    for argument in find_arguments(opinions):
        assert 1 <= len(argument.words) <= 3
        assert len(argument.quote) <= QUOTE_LIMIT
        original = " ".join(by_id[argument.opinion_id].text.split())
        assert argument.quote == original or (argument.quote.endswith("…") and original.startswith(argument.quote[:-1]))
        assert argument.opinion_id in argument.opinion_ids
    cuda = next(a for a in find_arguments(opinions) if expected[a.opinion_id] == "cuda")
    assert "cuda" in cuda.words


def test_a_long_quote_is_cut_at_a_word() -> None:
    long_text = "Les développeurs resteront fidèles à CUDA " + "parce que les outils logiciels comptent " * 8
    opinions = [
        OpinionText(id=1, text=long_text, useful=3),
        OpinionText(id=2, text="Les développeurs restent sur CUDA, les outils logiciels de Nvidia sont trop mûrs."),
        OpinionText(id=3, text="CUDA et ses outils logiciels gardent les développeurs chez Nvidia."),
    ]
    (argument,) = find_arguments(opinions)
    assert argument.opinion_id == 1  # the most useful of a tight group
    assert len(argument.quote) <= QUOTE_LIMIT and argument.quote.endswith("…")
    assert long_text.startswith(argument.quote[:-1].rstrip())
    assert long_text[len(argument.quote[:-1].rstrip())] == " "


def test_copies_alone_never_make_a_group() -> None:
    pasted = "Rejoignez mon serveur de jeux, lien dans ma bio, venez nombreux !"
    opinions = [OpinionText(id=i, text=pasted) for i in range(1, 6)]
    assert find_arguments(opinions) == ()
    assert cluster(opinions) == [[0, 1, 2, 3, 4]]


def test_the_result_does_not_depend_on_the_input_order() -> None:
    opinions, _ = debate()
    shuffled = list(opinions)
    random.Random(7).shuffle(shuffled)
    assert find_arguments(shuffled) == find_arguments(opinions)
    assert find_arguments([]) == ()


@pytest.mark.parametrize(
    ("kind", "options", "positions", "expected"),
    [
        ("scale", [(0, "Oui", 100.0), (1, "Plutôt oui", 66.7), (2, "Plutôt non", 33.3), (3, "Non", 0.0)], {1}, PRO),
        ("scale", [(0, "Oui", 100.0), (3, "Non", 0.0), (4, "Sans avis", None)], {3}, CONTRA),
        ("scale", [(0, "Oui", 100.0), (3, "Non", 0.0), (4, "Sans avis", None)], {4}, None),
        ("matrix", [(i, f"r{i}", None) for i in range(4)] + [(4, "Sans avis", None)], {0}, PRO),
        ("matrix", [(i, f"r{i}", None) for i in range(4)] + [(4, "Sans avis", None)], {3}, CONTRA),
        ("matrix", [(i, f"r{i}", None) for i in range(4)] + [(4, "Sans avis", None)], {2}, MIXED),
        ("choice", [(0, "Android", None), (1, "iOS", None), (2, "No opinion", None)], {1}, "iOS"),
        ("choice", [(0, "Android", None), (1, "iOS", None)], {0, 1}, MIXED),
        ("choice", [(0, "Android", None), (1, "iOS", None)], set(), None),
    ],
)
def test_stance_of_a_vote(kind: str, options: list, positions: set[int], expected: str | None) -> None:
    assert stance_of(kind, options, positions) == expected


def test_an_anonymous_debate_ignores_any_positions_it_is_handed() -> None:
    from bot.digest.build import debate_arguments
    from db.debate import DebateOpinion, PollDebate

    opinions, _ = debate()
    rows = tuple(DebateOpinion(o.id, 1000 + o.id, o.text, o.useful, 5, 6000 + o.id, frozenset({0})) for o in opinions)
    labels = ["Crédible et pertinente", "Crédible, mais pas pertinente", "Pertinente, mais pas crédible"]
    labels += ["Ni crédible ni pertinente", "Sans avis"]
    options = tuple((position, label, None) for position, label in enumerate(labels))
    public = debate_arguments(PollDebate(1, 9, "matrix", False, options, rows), "fr")
    anonymous = debate_arguments(PollDebate(1, 9, "matrix", True, options, rows), "fr")
    assert {a.side for a in public} == {PRO}  # everyone "voted" the first answer
    assert anonymous and all(a.side is None for a in anonymous)
    assert all(a.url and a.url.startswith("https://discord.com/channels/9/5/") for a in anonymous)
