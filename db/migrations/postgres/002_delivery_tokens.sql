-- PostgreSQL dialect of ../002_delivery_tokens.sql (keep the two in step).
-- Posts that must reach Discord exactly once carry a token of their claim: in the request's nonce (Discord
-- then drops a retried duplicate) and in a marker of the message itself, so that a restarted bot recognises its
-- own post, created after the claim, and never a look-alike (a manual digest of the same week).
ALTER TABLE digests ADD COLUMN post_token TEXT;

-- The final-results message owed by a closed poll: pending from the close until it is recorded as posted.
ALTER TABLE polls ADD COLUMN results_token TEXT;
ALTER TABLE polls ADD COLUMN results_message_id BIGINT;
ALTER TABLE polls ADD COLUMN results_pending BIGINT NOT NULL DEFAULT 0 CHECK (results_pending IN (0, 1));
CREATE INDEX polls_results_pending ON polls (id) WHERE results_pending = 1;

-- An article row is written before its message is sent; one left without a message id after a crash is
-- settled at start-up: the message is found by the poll ids in its buttons, or the rows are removed.
ALTER TABLE articles ADD COLUMN post_token TEXT;
