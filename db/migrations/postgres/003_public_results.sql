-- PostgreSQL dialect of ../003_public_results.sql (keep the two in step).
-- Results published outside Discord (#18): a server opts in, then each poll or article it publishes
-- gets a random public id. URLs carry only that id, never a Discord id or a row id.

CREATE TABLE public_settings (
    guild_id      BIGINT PRIMARY KEY,
    enabled       BIGINT NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    show_opinions BIGINT NOT NULL DEFAULT 0 CHECK (show_opinions IN (0, 1)),
    embed_origins TEXT    NOT NULL DEFAULT '[]' CHECK (embed_origins::json IS NOT NULL), -- who may frame/fetch
    updated_at    BIGINT NOT NULL
);

CREATE TABLE public_links (
    public_id  TEXT    PRIMARY KEY CHECK (length(public_id) BETWEEN 16 AND 64),
    kind       TEXT    NOT NULL CHECK (kind IN ('poll', 'article')),
    item_id    BIGINT NOT NULL,
    guild_id   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, item_id)
);
