DROP TABLE IF EXISTS workcal_days;
