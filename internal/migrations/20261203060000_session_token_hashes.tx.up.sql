-- Sessions are now keyed by the SHA-256 of their token: the rows keyed by plain tokens can
-- never be found again, and should not stay readable until they expire.
DELETE FROM staff_sessions;
