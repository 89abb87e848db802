DROP TABLE IF EXISTS intake_secrets;
DROP TABLE IF EXISTS intake_ratings;
DROP TABLE IF EXISTS intake_photos;
DROP TABLE IF EXISTS intake_submissions;
DROP TABLE IF EXISTS intake_service_attributes;
DROP TABLE IF EXISTS intake_services;
DROP TABLE IF EXISTS intake_api_keys;
DROP TABLE IF EXISTS intake_organisations;
