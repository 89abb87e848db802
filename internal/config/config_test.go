package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.SIPAddr != "127.0.0.1:5060" || c.Location.String() != "Asia/Shanghai" ||
		c.Transfer110 != "sip:110@127.0.0.1:5070" || c.ACDMaxWait != 60*time.Second || c.ACDWrapUp != 10*time.Second ||
		len(c.SIPTrunks) != 1 || c.SIPTrunks[0].String() != "127.0.0.0/8" || c.DatabaseURL != "" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoadBadValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, value string }{
		{"HOTLINE_DATABASE_URL", "mysql://x"},
		{"HOTLINE_HTTP_ADDR", "8080"},
		{"HOTLINE_HTTP_ADDR", "127.0.0.1:http-ish"},
		{"HOTLINE_SIP_ADDR", "example:5060"},
		{"HOTLINE_PPROF_ADDR", "6060"},
		{"HOTLINE_SIP_TRUNKS", "10.0.0.0/8,banana"},
		{"HOTLINE_TIMEZONE", "Mars/Olympus"},
		{"HOTLINE_TRANSFER_110", "110"},
		{"HOTLINE_ACD_MAX_WAIT", "sixty"},
		{"HOTLINE_ACD_WRAPUP", "-1s"},
		{"HOTLINE_SWEEP_SCHEDULE", "every minute"},
		{"HOTLINE_LOG_LEVEL", "loud"},
		{"HOTLINE_MEDIA", "yes"},
		{"HOTLINE_RTP_PORTS", "20000"},
		{"HOTLINE_RTP_PORTS", "30000-20000"},
		{"HOTLINE_RTP_PORTS", "80-90"},
		{"HOTLINE_MEDIA_ADDR", "pbx.example"},
		{"HOTLINE_MEDIA_ADDR", "0.0.0.0"},
		{"HOTLINE_RECORDING_RETENTION", "180d"},
		{"HOTLINE_RECORDING_RETENTION", "0"},
		{"HOTLINE_RTP_TIMEOUT", "100ms"},
		{"HOTLINE_RTP_TIMEOUT", "a minute"},
		{"HOTLINE_SESSION_EXPIRES", "60s"},
		{"HOTLINE_SESSION_EXPIRES", "90.5s"},
		{"HOTLINE_SESSION_EXPIRES", "half an hour"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			_, err := Load(func(k string) string {
				if k == tc.name {
					return tc.value
				}
				return ""
			})
			if err == nil || !strings.HasPrefix(err.Error(), tc.name+":") {
				t.Fatalf("err = %v, want one naming %s", err, tc.name)
			}
		})
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"HOTLINE_DATABASE_URL": "postgres://u@db/hotline",
		"HOTLINE_SIP_TRUNKS":   "10.1.0.0/16, 192.168.5.7/32",
		"HOTLINE_TIMEZONE":     "UTC",
		"HOTLINE_ACD_MAX_WAIT": "90s",
	}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SIPTrunks) != 2 || c.SIPTrunks[1].String() != "192.168.5.7/32" || c.ACDMaxWait != 90*time.Second || c.Location != time.UTC {
		t.Fatalf("got %+v", c)
	}
}

func TestLoadEscalation(t *testing.T) {
	t.Parallel()
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.WarnShare != 0.75 || c.EscalationPeriod != 24*time.Hour || c.SMTPHost != "" || c.SMTPPort != 25 ||
		c.SMTPFrom != "12345@localhost" || c.SMSGateway != "" {
		t.Fatalf("escalation defaults: %+v", c)
	}
	env := map[string]string{"HOTLINE_WARN_SHARE": "0.5", "HOTLINE_ESCALATION_PERIOD": "8h", "HOTLINE_SMTP_HOST": "mail.example.org",
		"HOTLINE_SMTP_PORT": "2525", "HOTLINE_SMTP_FROM": "noreply@example.org", "HOTLINE_SMS_GATEWAY": "https://sms.example.org/send"}
	if c, err = Load(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.WarnShare != 0.5 || c.EscalationPeriod != 8*time.Hour || c.SMTPHost != "mail.example.org" || c.SMTPPort != 2525 ||
		c.SMTPFrom != "noreply@example.org" || c.SMSGateway != "https://sms.example.org/send" {
		t.Fatalf("escalation values: %+v", c)
	}
	for _, tc := range []struct{ name, value string }{
		{"HOTLINE_WARN_SHARE", "75%"},
		{"HOTLINE_WARN_SHARE", "1"},
		{"HOTLINE_WARN_SHARE", "0"},
		{"HOTLINE_ESCALATION_PERIOD", "a day"},
		{"HOTLINE_ESCALATION_PERIOD", "10s"},
		{"HOTLINE_SMTP_PORT", "smtp"},
		{"HOTLINE_SMTP_PORT", "70000"},
		{"HOTLINE_SMTP_FROM", "not an address"},
		{"HOTLINE_SMS_GATEWAY", "ftp://sms.example.org"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			_, err := Load(func(k string) string {
				if k == tc.name {
					return tc.value
				}
				return ""
			})
			if err == nil || !strings.HasPrefix(err.Error(), tc.name+":") {
				t.Fatalf("err = %v, want one naming %s", err, tc.name)
			}
		})
	}
}

func TestLoadTransferTargetsAndOutbound(t *testing.T) {
	t.Parallel()
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TransferTargets) != 1 || c.TransferTargets["110"] != "sip:110@127.0.0.1:5070" || c.SIPOutbound != "" {
		t.Fatalf("defaults: targets %v, outbound %q", c.TransferTargets, c.SIPOutbound)
	}
	env := map[string]string{
		"HOTLINE_TRANSFER_110":     "sip:110@10.0.0.9:5060",
		"HOTLINE_TRANSFER_TARGETS": "12315=sip:12315@127.0.0.1:5071, 119=sip:119@127.0.0.1:5072;transport=tcp",
		"HOTLINE_SIP_OUTBOUND":     "gw.example.org:5080",
	}
	if c, err = Load(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"110": "sip:110@10.0.0.9:5060", "12315": "sip:12315@127.0.0.1:5071",
		"119": "sip:119@127.0.0.1:5072;transport=tcp"}
	if len(c.TransferTargets) != len(want) || c.SIPOutbound != "gw.example.org:5080" {
		t.Fatalf("targets %v, outbound %q", c.TransferTargets, c.SIPOutbound)
	}
	for k, v := range want {
		if c.TransferTargets[k] != v {
			t.Fatalf("target %s = %q, want %q", k, c.TransferTargets[k], v)
		}
	}
	for _, tc := range []struct{ name, value string }{
		{"HOTLINE_TRANSFER_TARGETS", "12315"},
		{"HOTLINE_TRANSFER_TARGETS", "consumer=sip:12315@127.0.0.1:5071"},
		{"HOTLINE_TRANSFER_TARGETS", "12315=http://127.0.0.1:5071"},
		{"HOTLINE_TRANSFER_TARGETS", "12315=sip:127.0.0.1:5071"},
		{"HOTLINE_TRANSFER_TARGETS", "110=sip:110@127.0.0.1:5070"},
		{"HOTLINE_TRANSFER_TARGETS", "12345=sip:12345@127.0.0.1:5060"},
		{"HOTLINE_TRANSFER_TARGETS", "119=sip:119@127.0.0.1,119=sip:119@127.0.0.2"},
		{"HOTLINE_SIP_OUTBOUND", "127.0.0.1"},
		{"HOTLINE_SIP_OUTBOUND", "gw_1:5060"},
		{"HOTLINE_SIP_OUTBOUND", "127.0.0.1:99999"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			_, err := Load(func(k string) string {
				if k == tc.name {
					return tc.value
				}
				return ""
			})
			if err == nil || !strings.HasPrefix(err.Error(), tc.name+":") {
				t.Fatalf("err = %v, want one naming %s", err, tc.name)
			}
		})
	}
}

func TestLoadSessions(t *testing.T) {
	t.Parallel()
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionLifetime != 12*time.Hour || c.IdleTimeout != 30*time.Minute || c.SecureCookies {
		t.Fatalf("session defaults: %s %s %v", c.SessionLifetime, c.IdleTimeout, c.SecureCookies)
	}
	env := map[string]string{"HOTLINE_SESSION_LIFETIME": "10h", "HOTLINE_IDLE_TIMEOUT": "15m", "HOTLINE_SECURE_COOKIES": "on"}
	if c, err = Load(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.SessionLifetime != 10*time.Hour || c.IdleTimeout != 15*time.Minute || !c.SecureCookies {
		t.Fatalf("session values: %s %s %v", c.SessionLifetime, c.IdleTimeout, c.SecureCookies)
	}
	for _, tc := range []struct{ name, value string }{
		{"HOTLINE_IDLE_TIMEOUT", "half an hour"},
		{"HOTLINE_IDLE_TIMEOUT", "10s"},
		{"HOTLINE_IDLE_TIMEOUT", "13h"}, // longer than the lifetime
		{"HOTLINE_SESSION_LIFETIME", "0"},
		{"HOTLINE_SECURE_COOKIES", "yes please"},
		{"HOTLINE_REQUIRE_DURABLE", "sure"},
	} {
		_, err := Load(func(k string) string {
			if k == tc.name {
				return tc.value
			}
			return ""
		})
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+":") {
			t.Errorf("%s=%s: err = %v, want one naming %s", tc.name, tc.value, err, tc.name)
		}
	}
}

func TestLoadSIPTLS(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HOTLINE_SIP_TLS_ADDR": "0.0.0.0:5061", "HOTLINE_SIP_TLS_CERT": "/etc/hotline/sip.crt", "HOTLINE_SIP_TLS_KEY": "/etc/hotline/sip.key"}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil || c.SIPTLSAddr != "0.0.0.0:5061" || c.SIPTLSCert != "/etc/hotline/sip.crt" {
		t.Fatalf("SIP TLS: %v %+v", err, c)
	}
	for _, bad := range []map[string]string{
		{"HOTLINE_SIP_TLS_ADDR": "5061"},
		{"HOTLINE_SIP_TLS_ADDR": "0.0.0.0:5061"},
		{"HOTLINE_SIP_TLS_ADDR": "0.0.0.0:5061", "HOTLINE_SIP_TLS_CERT": "/etc/hotline/sip.crt"},
	} {
		if _, err := Load(func(k string) string { return bad[k] }); err == nil || !strings.HasPrefix(err.Error(), "HOTLINE_SIP_TLS_ADDR:") {
			t.Errorf("%v: err = %v", bad, err)
		}
	}
}

func TestLoadAppRole(t *testing.T) {
	t.Parallel()
	if c, err := Load(func(string) string { return "" }); err != nil || c.AppRole != "hotline_app" {
		t.Fatalf("default: %v %+v", err, c)
	}
	if _, err := Load(func(k string) string { return map[string]string{"HOTLINE_APP_ROLE": "app; DROP TABLE x"}[k] }); err == nil || !strings.HasPrefix(err.Error(), "HOTLINE_APP_ROLE:") {
		t.Fatalf("bad role name: %v", err)
	}
}

func TestLoadMedia(t *testing.T) {
	t.Parallel()
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if !c.Media || c.RTPPortMin != 20000 || c.RTPPortMax != 29999 || c.MediaAddr != "" ||
		c.RecordingsDir != "var/recordings" || c.PromptsDir != "var/prompts" || c.RecordingRetention != 180*24*time.Hour ||
		c.RTPTimeout != time.Minute || c.CallbackOfferWait != 3*time.Minute || !c.VoiceMessages || c.OpenHours != "" {
		t.Fatalf("media defaults: %+v", c)
	}
	env := map[string]string{"HOTLINE_MEDIA": "off", "HOTLINE_RTP_PORTS": "40000-40099", "HOTLINE_MEDIA_ADDR": "203.0.113.7",
		"HOTLINE_RECORDINGS_DIR": "/srv/rec", "HOTLINE_RECORDING_RETENTION": "30", "HOTLINE_CALLBACK_OFFER_WAIT": "0",
		"HOTLINE_VOICE_MESSAGES": "off", "HOTLINE_OPEN_HOURS": "08:00-20:00"}
	c, err = Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Media || c.RTPPortMin != 40000 || c.RTPPortMax != 40099 || c.MediaAddr != "203.0.113.7" ||
		c.RecordingsDir != "/srv/rec" || c.RecordingRetention != 30*24*time.Hour || c.CallbackOfferWait != 0 || c.VoiceMessages || c.OpenHours != "08:00-20:00" {
		t.Fatalf("media values: %+v", c)
	}
	for name, value := range map[string]string{"HOTLINE_CALLBACK_OFFER_WAIT": "soon", "HOTLINE_VOICE_MESSAGES": "yes", "HOTLINE_OPEN_HOURS": "8am-8pm"} {
		if _, err := Load(func(k string) string {
			if k == name {
				return value
			}
			return ""
		}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, value, err)
		}
	}
}
