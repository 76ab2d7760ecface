-- PostgreSQL dialect of ../004_poll_visibility_and_native.sql (keep the two in step).
-- When a poll's counts may be seen (see bot/polls/visibility.py): per poll, and a server default that article
-- polls take. `results_published` is set when a moderator reveals the results of a `moderators` poll.
ALTER TABLE polls ADD COLUMN results_visibility TEXT NOT NULL DEFAULT 'live'
    CHECK (results_visibility IN ('live', 'after_vote', 'after_close', 'moderators'));
ALTER TABLE polls ADD COLUMN results_published BIGINT NOT NULL DEFAULT 0 CHECK (results_published IN (0, 1));
ALTER TABLE guild_settings ADD COLUMN results_visibility TEXT NOT NULL DEFAULT 'live'
    CHECK (results_visibility IN ('live', 'after_vote', 'after_close', 'moderators'));

-- Article polls as Tribune's buttons or as Discord's native polls (polls.mode already exists).
ALTER TABLE guild_settings ADD COLUMN article_poll_mode TEXT NOT NULL DEFAULT 'buttons'
    CHECK (article_poll_mode IN ('buttons', 'native'));
