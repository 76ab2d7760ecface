-- Results published outside Discord (#18): a server opts in, then each poll or article it publishes
-- gets a random public id. URLs carry only that id, never a Discord id or a row id.

CREATE TABLE public_settings (
    guild_id      INTEGER PRIMARY KEY,
    enabled       INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    show_opinions INTEGER NOT NULL DEFAULT 0 CHECK (show_opinions IN (0, 1)),
    embed_origins TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(embed_origins)), -- who may frame/fetch
    updated_at    INTEGER NOT NULL
);

CREATE TABLE public_links (
    public_id  TEXT    PRIMARY KEY CHECK (length(public_id) BETWEEN 16 AND 64),
    kind       TEXT    NOT NULL CHECK (kind IN ('poll', 'article')),
    item_id    INTEGER NOT NULL,
    guild_id   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, item_id)
) WITHOUT ROWID;
