-- The texts of the SMS the centre sends citizens, editable by administrators: the receipt at
-- registration (受理回执) and the rating link at resolution. Placeholders: {number} (the
-- ticket number), {link} (the tracking or rating link), {days} (how long the rating link works).
CREATE TABLE sms_templates (
    kind       text PRIMARY KEY CHECK (kind IN ('receipt', 'rating')),
    body       text NOT NULL,
    updated_at timestamptz,
    updated_by text NOT NULL DEFAULT ''
);
INSERT INTO sms_templates (kind, body) VALUES
    ('receipt', '【12345】您反映的问题已受理，工单号 {number}。可凭工单号和手机号查询办理进度：{link}'),
    ('rating', '【12345】您的工单 {number} 已办结，请对办理结果评价：{link} （{days} 天内有效，限评价一次）');
