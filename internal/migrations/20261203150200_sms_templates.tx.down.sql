DROP TABLE IF EXISTS sms_templates;
