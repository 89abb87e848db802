-- Why a call ended when it was not a party hanging up: no_rtp (the caller's audio stopped for
-- longer than HOTLINE_RTP_TIMEOUT: a dead phone or gateway, a broken NAT). Empty otherwise.
ALTER TABLE call_records ADD COLUMN end_reason text NOT NULL DEFAULT '';
