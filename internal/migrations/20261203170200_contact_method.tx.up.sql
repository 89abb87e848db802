-- How the department reached the citizen for its result (办结时的联系方式): phone, visit (上门),
-- sms, online, letter, or none (could not, or the citizen asked for no reply); empty when not
-- said (results recorded before it was asked). When is the feedback's time (feedback_at).
ALTER TABLE tickets ADD COLUMN contact_method text NOT NULL DEFAULT ''
    CHECK (contact_method IN ('', 'phone', 'visit', 'sms', 'online', 'letter', 'none'));
