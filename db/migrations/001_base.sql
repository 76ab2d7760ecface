-- Tribune's whole data model. Times are UTC Unix seconds (INTEGER); Discord ids are INTEGER snowflakes.
-- Constraints do the integrity work, so a bug in the bot cannot store an impossible state.

CREATE TABLE guild_settings (
    guild_id              INTEGER PRIMARY KEY,
    language              TEXT    NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    timezone              TEXT    NOT NULL DEFAULT 'Europe/Paris' CHECK (length(timezone) BETWEEN 1 AND 64),
    articles_channel_id   INTEGER,
    digest_channel_id     INTEGER,
    log_channel_id        INTEGER,
    moderator_role_id     INTEGER,
    digest_enabled        INTEGER NOT NULL DEFAULT 1 CHECK (digest_enabled IN (0, 1)),
    digest_weekday        INTEGER NOT NULL DEFAULT 0 CHECK (digest_weekday BETWEEN 0 AND 6), -- 0 = Monday
    digest_hour           INTEGER NOT NULL DEFAULT 9 CHECK (digest_hour BETWEEN 0 AND 23),
    digest_empty_notice   INTEGER NOT NULL DEFAULT 1 CHECK (digest_empty_notice IN (0, 1)),
    poll_duration_seconds INTEGER NOT NULL DEFAULT 604800
                          CHECK (poll_duration_seconds BETWEEN 3600 AND 2764800),      -- 1 hour .. 32 days
    updated_at            INTEGER NOT NULL
);

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    url              TEXT    NOT NULL CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),
    title            TEXT,
    etag             TEXT,
    last_modified    TEXT,
    interval_seconds INTEGER NOT NULL DEFAULT 900 CHECK (interval_seconds >= 60),
    next_check_at    INTEGER NOT NULL,
    failures         INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_error       TEXT,
    created_by       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (guild_id, url)
);
CREATE INDEX feeds_due ON feeds (next_check_at);

CREATE TABLE articles (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    url            TEXT,                      -- NULL for pasted text and uploaded files
    content_hash   TEXT    NOT NULL CHECK (length(content_hash) = 64),
    title          TEXT    NOT NULL CHECK (length(title) >= 1),
    author         TEXT,
    published_at   TEXT,                      -- ISO date as the article states it
    site_name      TEXT,
    description    TEXT,
    image_url      TEXT,
    language       TEXT    NOT NULL DEFAULT 'fr',
    summary        TEXT    NOT NULL,
    keywords       TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(keywords)),
    questions      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(questions)),
    opinion_prompt TEXT    NOT NULL,
    channel_id     INTEGER,
    message_id     INTEGER,
    thread_id      INTEGER,
    feed_id        INTEGER REFERENCES feeds (id) ON DELETE SET NULL,
    posted_by      INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (guild_id, url),
    UNIQUE (guild_id, content_hash)
);
CREATE INDEX articles_by_guild ON articles (guild_id, created_at);
CREATE INDEX articles_by_message ON articles (message_id);

CREATE TABLE feed_items (
    feed_id    INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    guid       TEXT    NOT NULL,
    article_id INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (feed_id, guid)
);

CREATE TABLE polls (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    article_id     INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    question       TEXT    NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    kind           TEXT    NOT NULL CHECK (kind IN ('scale', 'matrix', 'choice')),
    mode           TEXT    NOT NULL DEFAULT 'buttons' CHECK (mode IN ('buttons', 'native')),
    multiple       INTEGER NOT NULL DEFAULT 0 CHECK (multiple IN (0, 1)),
    anonymous      INTEGER NOT NULL DEFAULT 1 CHECK (anonymous IN (0, 1)),
    role_id        INTEGER,                   -- only members with this role may vote
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'deleted')),
    channel_id     INTEGER,
    message_id     INTEGER,
    thread_id      INTEGER,
    created_by     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    closes_at      INTEGER NOT NULL,
    closed_at      INTEGER,
    render_pending INTEGER NOT NULL DEFAULT 0 CHECK (render_pending IN (0, 1)), -- tally not yet on the message
    CHECK (closes_at > created_at),
    CHECK ((status = 'open') = (closed_at IS NULL) OR status = 'deleted')
);
CREATE INDEX polls_open_by_deadline ON polls (closes_at) WHERE status = 'open';
CREATE INDEX polls_by_guild ON polls (guild_id, created_at);
CREATE INDEX polls_render_pending ON polls (id) WHERE render_pending = 1;
CREATE INDEX polls_by_article ON polls (article_id);

CREATE TABLE poll_options (
    poll_id  INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position BETWEEN 0 AND 9),
    label    TEXT    NOT NULL CHECK (length(label) BETWEEN 1 AND 55),
    score    REAL,                            -- scale value; NULL for "Sans avis" and non-scale answers
    PRIMARY KEY (poll_id, position),
    UNIQUE (poll_id, label)
) WITHOUT ROWID;

-- One row per voter and chosen answer. `voter` is the member id for public polls and a keyed hash
-- (never the id) for anonymous ones.
CREATE TABLE votes (
    poll_id  INTEGER NOT NULL,
    voter    TEXT    NOT NULL CHECK (length(voter) BETWEEN 1 AND 64),
    position INTEGER NOT NULL,
    voted_at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, voter, position),
    FOREIGN KEY (poll_id, position) REFERENCES poll_options (poll_id, position) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX votes_by_poll_answer ON votes (poll_id, position);
CREATE INDEX votes_by_time ON votes (voted_at);

-- A single-choice poll holds at most one answer per voter: the store refuses a second row,
-- so the bot must replace the previous answer inside the same transaction.
CREATE TRIGGER votes_single_choice
BEFORE INSERT ON votes
WHEN (SELECT multiple FROM polls WHERE id = NEW.poll_id) = 0
 AND EXISTS (SELECT 1 FROM votes WHERE poll_id = NEW.poll_id AND voter = NEW.voter)
BEGIN
    SELECT RAISE(ABORT, 'single-choice poll: one answer per voter');
END;

-- Votes on a closed or deleted poll are refused by the store, whatever the buttons showed.
CREATE TRIGGER votes_only_on_open_polls
BEFORE INSERT ON votes
WHEN (SELECT status FROM polls WHERE id = NEW.poll_id) IS NOT 'open'
BEGIN
    SELECT RAISE(ABORT, 'poll is not open');
END;

CREATE TABLE opinions (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    article_id     INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    member_id      INTEGER NOT NULL,
    text           TEXT    NOT NULL CHECK (length(text) BETWEEN 10 AND 1500),
    thread_id      INTEGER,
    message_id     INTEGER,
    hidden         INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    hidden_by      INTEGER,
    hidden_reason  TEXT,
    hidden_at      INTEGER,
    render_pending INTEGER NOT NULL DEFAULT 0 CHECK (render_pending IN (0, 1)),
    edit_count     INTEGER NOT NULL DEFAULT 0 CHECK (edit_count >= 0),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (article_id, member_id),
    CHECK (hidden = 0 OR hidden_by IS NOT NULL)
);
CREATE INDEX opinions_by_guild_time ON opinions (guild_id, created_at);
CREATE INDEX opinions_by_member ON opinions (guild_id, member_id);
CREATE INDEX opinions_by_message ON opinions (message_id);

CREATE TABLE opinion_marks (
    opinion_id INTEGER NOT NULL REFERENCES opinions (id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL,
    marked_at  INTEGER NOT NULL,
    PRIMARY KEY (opinion_id, member_id)
) WITHOUT ROWID;
CREATE INDEX opinion_marks_by_member ON opinion_marks (member_id);

CREATE TRIGGER opinion_marks_not_own
BEFORE INSERT ON opinion_marks
WHEN (SELECT member_id FROM opinions WHERE id = NEW.opinion_id) = NEW.member_id
BEGIN
    SELECT RAISE(ABORT, 'a member cannot mark their own opinion');
END;

-- One digest per server and week: the row is claimed before posting, the messages recorded after.
CREATE TABLE digests (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    week         TEXT    NOT NULL CHECK (week GLOB '[0-9][0-9][0-9][0-9]-W[0-9][0-9]'),
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'claimed' CHECK (status IN ('claimed', 'posted', 'skipped')),
    channel_id   INTEGER,
    message_ids  TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(message_ids)),
    totals       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(totals)),
    claimed_at   INTEGER NOT NULL,
    posted_at    INTEGER,
    UNIQUE (guild_id, week),
    CHECK (period_end > period_start)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    actor_id   INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT,
    details    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_by_guild ON audit_log (guild_id, id);
CREATE INDEX audit_by_actor ON audit_log (guild_id, actor_id, id);
