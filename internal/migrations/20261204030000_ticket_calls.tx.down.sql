DROP TABLE ticket_calls;
