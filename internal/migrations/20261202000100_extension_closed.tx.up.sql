-- An extension request still waiting when its ticket is resolved or closed is closed by the
-- hotline itself, with the reason on the ticket's timeline.
ALTER TABLE extension_requests DROP CONSTRAINT extension_requests_status_check;
ALTER TABLE extension_requests ADD CONSTRAINT extension_requests_status_check
    CHECK (status IN ('pending', 'approved', 'refused', 'closed'));
