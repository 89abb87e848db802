DROP TABLE return_visits;
