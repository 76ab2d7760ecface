-- PostgreSQL dialect of ../005_scale_out.sql (keep the two in step).
-- Several bot processes on one store (#16). Background work is claimed in the database with a lease a crashed
-- process loses when it expires: a whole loop pass (`job_leases`), or one row (a due poll, owed results).
CREATE TABLE job_leases (
    job        TEXT    PRIMARY KEY CHECK (length(job) BETWEEN 1 AND 100),
    holder     TEXT    NOT NULL,
    expires_at BIGINT NOT NULL
);

-- A poll being closed, or whose final results are being posted, by one process until `claim_expires_at`.
ALTER TABLE polls ADD COLUMN claimed_by TEXT;
ALTER TABLE polls ADD COLUMN claim_expires_at BIGINT;
-- The live tally's version (raised with every change that needs a render) and the version last put on the
-- message: a render read before a newer one never replaces it.
ALTER TABLE polls ADD COLUMN tally_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE polls ADD COLUMN rendered_version BIGINT NOT NULL DEFAULT 0;
