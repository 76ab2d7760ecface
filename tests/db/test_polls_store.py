from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from db.database import Database
from db.polls import NewPoll, PollOption, PollStore
from tests.conftest import NOW

SCALE = [
    PollOption(0, "Oui", 100.0),
    PollOption(1, "Plutôt oui", 66.7),
    PollOption(2, "Plutôt non", 33.3),
    PollOption(3, "Non", 0.0),
    PollOption(4, "Sans avis", None),
]


def new_poll(**overrides: object) -> NewPoll:
    values: dict[str, object] = dict(
        guild_id=1,
        question="Pensez-vous que cette annonce est crédible ?",
        kind="scale",
        options=SCALE,
        created_by=42,
        created_at=NOW,
        closes_at=NOW + timedelta(days=7),
    )
    values.update(overrides)
    return NewPoll(**values)  # type: ignore[arg-type]


async def test_round_trip_keeps_every_field_and_the_answer_order(db: Database) -> None:
    async with db.transaction() as conn:
        poll = await PollStore(conn).create(new_poll(multiple=True, anonymous=False, role_id=7))
        await PollStore(conn).set_message(poll.id, channel_id=10, message_id=11, thread_id=12)
    async with db.read() as conn:
        stored = await PollStore(conn).get(poll.id)
    assert stored is not None
    assert stored.question == "Pensez-vous que cette annonce est crédible ?"
    assert stored.multiple and not stored.anonymous and stored.role_id == 7
    assert (stored.channel_id, stored.message_id, stored.thread_id) == (10, 11, 12)
    assert stored.status == "open" and stored.closed_at is None
    assert stored.created_at == NOW and stored.closes_at == NOW + timedelta(days=7)
    assert [o.label for o in stored.options] == ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"]
    assert stored.options[4].score is None and stored.options[0].score == 100.0


async def test_single_choice_poll_never_holds_two_answers_of_one_voter(db: Database) -> None:
    async with db.transaction() as conn:
        poll = await PollStore(conn).create(new_poll())
        await PollStore(conn).add_vote(poll.id, "alice", 0, NOW)
    with pytest.raises(sqlite3.IntegrityError, match="one answer per voter"):
        async with db.transaction() as conn:
            await PollStore(conn).add_vote(poll.id, "alice", 1, NOW)
    async with db.read() as conn:
        assert await PollStore(conn).choices_of(poll.id, "alice") == {0}


async def test_multiple_choice_poll_keeps_one_row_per_answer(db: Database) -> None:
    async with db.transaction() as conn:
        store = PollStore(conn)
        poll = await store.create(new_poll(multiple=True))
        await store.add_vote(poll.id, "alice", 0, NOW)
        await store.add_vote(poll.id, "alice", 3, NOW)
        await store.add_vote(poll.id, "bob", 3, NOW)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await PollStore(conn).add_vote(poll.id, "alice", 3, NOW)  # the same answer twice
    async with db.read() as conn:
        counts = await PollStore(conn).counts(poll.id)
    assert counts.per_option == {0: 1, 3: 2}
    assert counts.voters == 2


async def test_votes_on_closed_or_deleted_polls_are_refused_by_the_store(db: Database) -> None:
    async with db.transaction() as conn:
        store = PollStore(conn)
        closed = await store.create(new_poll())
        deleted = await store.create(new_poll())
        assert await store.close(closed.id, NOW)
        assert await store.mark_deleted(deleted.id, NOW)
    for poll_id in (closed.id, deleted.id):
        with pytest.raises(sqlite3.IntegrityError, match="not open"):
            async with db.transaction() as conn:
                await PollStore(conn).add_vote(poll_id, "alice", 0, NOW)


async def test_a_vote_for_an_answer_that_does_not_exist_is_refused(db: Database) -> None:
    async with db.transaction() as conn:
        poll = await PollStore(conn).create(new_poll())
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await PollStore(conn).add_vote(poll.id, "alice", 9, NOW)


async def test_constraints_refuse_impossible_polls(db: Database) -> None:
    bad = [
        new_poll(question=""),
        new_poll(question="x" * 301),
        new_poll(kind="quiz"),
        new_poll(closes_at=NOW),
        new_poll(options=[PollOption(0, "Oui"), PollOption(1, "Oui")]),
        new_poll(options=[PollOption(0, "x" * 56)]),
    ]
    for poll in bad:
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await PollStore(conn).create(poll)
    async with db.read() as conn, conn.execute("SELECT count(*) FROM polls") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_life_cycle_close_reopen_delete_and_due(db: Database) -> None:
    async with db.transaction() as conn:
        store = PollStore(conn)
        early = await store.create(new_poll(closes_at=NOW + timedelta(hours=1)))
        late = await store.create(new_poll(closes_at=NOW + timedelta(days=2)))
    async with db.read() as conn:
        store = PollStore(conn)
        assert await store.due(NOW) == []
        assert await store.due(NOW + timedelta(hours=2)) == [early.id]
        assert await store.due(NOW + timedelta(days=3)) == [early.id, late.id]
        assert await store.next_deadline() == NOW + timedelta(hours=1)
    async with db.transaction() as conn:
        store = PollStore(conn)
        assert await store.close(early.id, NOW + timedelta(hours=1))
        assert not await store.close(early.id, NOW + timedelta(hours=1))  # already closed
        assert await store.render_pending() == [early.id]
        assert await store.reopen(early.id, NOW + timedelta(days=5))
        assert not await store.reopen(late.id, NOW)  # open polls are not "reopened"
        assert await store.mark_deleted(late.id, NOW)
    async with db.read() as conn:
        store = PollStore(conn)
        reopened = await store.get(early.id)
        assert reopened is not None and reopened.status == "open" and reopened.closed_at is None
        assert [p.id for p in await store.list_for_guild(1)] == [early.id]  # deleted ones are not listed
        assert await store.due(NOW + timedelta(days=30)) == [early.id]


async def test_votes_export_and_voter_removal(db: Database) -> None:
    async with db.transaction() as conn:
        store = PollStore(conn)
        poll = await store.create(new_poll(anonymous=False, multiple=True))
        await store.add_vote(poll.id, "100", 1, NOW)
        await store.add_vote(poll.id, "100", 2, NOW + timedelta(seconds=5))
        await store.add_vote(poll.id, "200", 2, NOW + timedelta(seconds=9))
    async with db.transaction() as conn:
        assert await PollStore(conn).delete_voter(poll.id, "100") == 2
    async with db.read() as conn:
        votes = await PollStore(conn).votes(poll.id)
    assert [(v.voter, v.position, v.voted_at) for v in votes] == [("200", 2, NOW + timedelta(seconds=9))]


async def test_deleting_a_poll_row_cascades_to_options_and_votes(db: Database) -> None:
    async with db.transaction() as conn:
        poll = await PollStore(conn).create(new_poll())
        await PollStore(conn).add_vote(poll.id, "alice", 0, NOW)
        await conn.execute("DELETE FROM polls WHERE id = ?", (poll.id,))
    async with db.read() as conn:
        for table in ("poll_options", "votes"):
            async with conn.execute(f"SELECT count(*) FROM {table}") as cur:
                assert (await cur.fetchone())[0] == 0


async def test_final_results_are_owed_from_the_close_until_recorded(db: Database) -> None:
    async with db.transaction() as conn:
        store = PollStore(conn)
        first = await store.create(new_poll())
        second = await store.create(new_poll())
        assert await store.close(first.id, NOW, results_token="tokenaaaaa")
        assert await store.close(second.id, NOW + timedelta(minutes=1), results_token="tokenbbbbb")
    async with db.read() as conn:
        owed = await PollStore(conn).pending_results()
    assert [(p.poll_id, p.token, p.closed_at) for p in owed] == [
        (first.id, "tokenaaaaa", NOW),
        (second.id, "tokenbbbbb", NOW + timedelta(minutes=1)),
    ]
    async with db.transaction() as conn:
        store = PollStore(conn)
        await store.results_delivered(first.id, 4242)
        assert await store.reopen(second.id, NOW + timedelta(days=1))  # reopened: nothing is owed any more
        assert await store.pending_results() == []
        assert await store.close(second.id, NOW + timedelta(days=2), results_token="tokencccc0")
        assert [p.token for p in await store.pending_results()] == ["tokencccc0"]  # a new close, a new token
    async with db.read() as conn, conn.execute("SELECT results_message_id FROM polls WHERE id = ?", (first.id,)) as cur:
        assert tuple(await cur.fetchone()) == (4242,)


async def test_polls_of_one_message_in_order_without_the_deleted_ones(db: Database) -> None:
    async with db.transaction() as conn:
        store = PollStore(conn)
        first = await store.create(new_poll(question="Première ?"))
        second = await store.create(new_poll(question="Deuxième ?"))
        third = await store.create(new_poll(question="Troisième ?"))
        other = await store.create(new_poll(question="Ailleurs ?"))
        for poll in (first, second, third):
            await store.set_message(poll.id, channel_id=10, message_id=11)
        await store.set_message(other.id, channel_id=10, message_id=12)
        await store.mark_deleted(second.id, NOW)
    async with db.read() as conn:
        carried = await PollStore(conn).of_message(11)
    assert [p.question for p in carried] == ["Première ?", "Troisième ?"]


async def test_results_visibility_is_stored_changed_and_published_once(db: Database) -> None:
    async with db.transaction() as conn:
        store = PollStore(conn)
        default = await store.create(new_poll())
        hidden = await store.create(new_poll(results_visibility="moderators"))
        assert default.results_visibility == "live" and not default.results_published
        assert hidden.results_visibility == "moderators"
        assert await store.set_results_visibility(default.id, "after_vote") == "live"
        assert await store.publish_results(hidden.id)
        assert not await store.publish_results(hidden.id)  # already published
        assert await store.set_results_visibility(999, "live") is None
    async with db.read() as conn:
        changed, published = await PollStore(conn).get(default.id), await PollStore(conn).get(hidden.id)
        pending = await PollStore(conn).render_pending()
    assert changed is not None and changed.results_visibility == "after_vote"
    assert published is not None and published.results_published
    assert pending == [default.id, hidden.id]  # both messages must be redrawn with what they may now show


async def test_the_store_refuses_an_unknown_results_mode(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await PollStore(conn).create(new_poll(results_visibility="everyone"))


async def test_native_vote_events_and_reconciliation(db: Database) -> None:
    async with db.transaction() as conn:
        store = PollStore(conn)
        poll = await store.create(new_poll(mode="native", anonymous=False))
        assert poll.mode == "native"
        assert await store.set_native_vote(poll.id, "1", 0, NOW, add=True)
        assert not await store.set_native_vote(poll.id, "1", 0, NOW, add=True)  # a repeated event changes nothing
        assert await store.set_native_vote(poll.id, "1", 3, NOW, add=True)  # single choice: replaces answer 0
        assert await store.set_native_vote(poll.id, "2", 1, NOW, add=True)
        assert await store.set_native_vote(poll.id, "2", 1, NOW, add=False)
        assert (await store.counts(poll.id)).per_option == {3: 1}
        # Discord's voter lists say: 1 withdrew, 2 and 3 voted meanwhile.
        assert await store.replace_native_votes(poll.id, {("2", 0), ("3", 0)}, NOW) == (2, 1)
        assert (await store.counts(poll.id)).per_option == {0: 2}
        assert await store.open_native() == []  # not posted yet: nothing to reconcile with
        await store.set_message(poll.id, channel_id=10, message_id=11)
        assert await store.open_native() == [poll.id]
        assert await store.close(poll.id, NOW + timedelta(hours=1))
        assert not await store.set_native_vote(poll.id, "4", 0, NOW, add=True)  # closed: ignored, not an error
        assert await store.open_native() == []
