DROP TABLE ticket_events;
DROP FUNCTION ticket_events_append_only();
DROP TABLE ticket_co_departments;
DROP TABLE tickets;
DROP TABLE categories;
DROP TABLE deadline_profiles;
DROP TABLE staff;
DROP TABLE departments;
