DROP TABLE call_ratings;
