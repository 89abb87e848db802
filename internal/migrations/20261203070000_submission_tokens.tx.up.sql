-- Each online submission carries a token the server made before writing it, stored in the
-- transaction that writes its ticket: when that transaction's COMMIT goes unanswered, looking
-- the token up tells whether the ticket exists, so it is never written a second time.
-- request_hash is the SHA-256 of what the submission asked for, kept with its idempotency key:
-- the key used again for a different complaint is refused instead of answered with this ticket.
ALTER TABLE intake_submissions ADD COLUMN token uuid UNIQUE;
ALTER TABLE intake_submissions ADD COLUMN request_hash bytea CHECK (length(request_hash) = 32);
