// Package config reads hotline's configuration from the environment and validates it at start,
// so that a bad value stops the process with a message that names the variable.
package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/robfig/cron/v3"
)

// Config is the validated configuration of one hotline process.
type Config struct {
	DatabaseURL string // empty: a managed private cluster under DataDir/pg
	// AppRole is the database role `serve` runs as, owning nothing; `migrate` grants it what
	// it needs. On the managed cluster it is created and used; with DatabaseURL, the URL names
	// the role and this one is granted when it exists.
	AppRole   string
	DataDir   string
	HTTPAddr  string
	SIPAddr   string
	SIPTrunks []netip.Prefix
	SIPRealm  string
	// SIPTLSAddr, with SIPTLSCert and SIPTLSKey (PEM files), is where agents' phones may
	// register and take calls over TLS; empty: no TLS.
	SIPTLSAddr  string
	SIPTLSCert  string
	SIPTLSKey   string
	Location    *time.Location
	Transfer110 string
	// TransferTargets maps every one-key transfer target's short number to its SIP URI:
	// "110" from Transfer110 and the others from HOTLINE_TRANSFER_TARGETS.
	TransferTargets map[string]string
	// SIPOutbound is the host:port of the gateway through which citizens are called back;
	// empty: none, and callbacks are refused.
	SIPOutbound string
	ACDMaxWait  time.Duration
	ACDWrapUp   time.Duration
	// ExportMaxRows is the most rows one export of a list may hold (HOTLINE_EXPORT_MAX_ROWS).
	ExportMaxRows int
	// Media: with Media on (the default) hotline carries the calls' audio through UDP ports
	// RTPPortMin..RTPPortMax, announcing MediaAddr in its SDP (empty: the SIP host), records
	// every answered call under RecordingsDir and keeps recordings RecordingRetention; prompts
	// are WAV files in PromptsDir. Off: signalling only, audio flows between the phones.
	Media              bool
	RTPPortMin         int
	RTPPortMax         int
	MediaAddr          string
	RecordingsDir      string
	RecordingRetention time.Duration
	PromptsDir         string
	// RTPTimeout ends an answered call whose caller sent no audio for this long.
	RTPTimeout time.Duration
	// CallbackOfferWait offers a waiting caller a callback when their estimated wait exceeds
	// it; zero never.
	CallbackOfferWait time.Duration
	// VoiceMessages lets a caller nobody can answer leave a message (留言).
	VoiceMessages bool
	// OpenHours are the centre's daily hours as HH:MM-HH:MM; empty: always open.
	OpenHours     string
	SweepSchedule string
	// EvaluationRefresh is how often serve brings the scorecards' daily aggregate up to date;
	// scorecards are read as of the last refresh (HOTLINE_EVALUATION_REFRESH).
	EvaluationRefresh time.Duration
	LogLevel          string
	PprofAddr         string // empty: no profiler listener
	MetricsAddr       string // empty: no metrics listener

	// Escalation: warnings at WarnShare of each clock, one more level per EscalationPeriod
	// overdue; e-mail through SMTP when SMTPHost is set, SMS when SMSGateway is set.
	WarnShare        float64
	EscalationPeriod time.Duration
	SMTPHost         string
	SMTPPort         int
	SMTPFrom         string
	SMSGateway       string
	// PublicURL is where citizens reach the site, for the links SMS carry (HOTLINE_PUBLIC_URL;
	// default http:// and HTTPAddr).
	PublicURL string

	// Staff sessions: a login ends after SessionLifetime at most, or after IdleTimeout unused.
	// SecureCookies (HOTLINE_SECURE_COOKIES=on, behind TLS) marks cookies Secure, names the
	// session cookie with the __Host- prefix and sends HSTS.
	SessionLifetime time.Duration
	IdleTimeout     time.Duration
	SecureCookies   bool

	// RequireDurable makes serve refuse a database that may lose answered commits in a crash
	// (fsync or synchronous_commit off); without it serve warns loudly and /readyz says so.
	RequireDurable bool

	// SessionExpires is the session interval (RFC 4028) of every leg of a call
	// (HOTLINE_SESSION_EXPIRES).
	SessionExpires time.Duration
}

// Getenv looks up one variable; os.Getenv in production, a map in tests.
type Getenv func(string) string

// Load reads and validates every variable. The error names the first bad variable.
func Load(getenv Getenv) (*Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := &Config{
		DatabaseURL:   get("HOTLINE_DATABASE_URL", ""),
		DataDir:       get("HOTLINE_DATA_DIR", "var"),
		AppRole:       get("HOTLINE_APP_ROLE", "hotline_app"),
		HTTPAddr:      get("HOTLINE_HTTP_ADDR", "127.0.0.1:8080"),
		SIPAddr:       get("HOTLINE_SIP_ADDR", "127.0.0.1:5060"),
		SIPRealm:      get("HOTLINE_SIP_REALM", "hotline"),
		Transfer110:   get("HOTLINE_TRANSFER_110", "sip:110@127.0.0.1:5070"),
		SweepSchedule: get("HOTLINE_SWEEP_SCHEDULE", "* * * * *"),
		LogLevel:      get("HOTLINE_LOG_LEVEL", "info"),
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("HOTLINE_DATABASE_URL: want a postgres:// URL")
		}
	}
	if !regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`).MatchString(c.AppRole) {
		return nil, fmt.Errorf("HOTLINE_APP_ROLE: want a role name of lower-case letters, digits and underscores")
	}
	c.PprofAddr = get("HOTLINE_PPROF_ADDR", "")
	c.MetricsAddr = get("HOTLINE_METRICS_ADDR", "")
	for _, a := range []struct{ name, v string }{{"HOTLINE_HTTP_ADDR", c.HTTPAddr}, {"HOTLINE_SIP_ADDR", c.SIPAddr},
		{"HOTLINE_PPROF_ADDR", c.PprofAddr}, {"HOTLINE_METRICS_ADDR", c.MetricsAddr}} {
		if a.v == "" && (a.name == "HOTLINE_PPROF_ADDR" || a.name == "HOTLINE_METRICS_ADDR") {
			continue
		}
		if err := checkHostPort(a.v); err != nil {
			return nil, fmt.Errorf("%s: %v", a.name, err)
		}
	}
	c.SIPTLSAddr, c.SIPTLSCert, c.SIPTLSKey = get("HOTLINE_SIP_TLS_ADDR", ""), get("HOTLINE_SIP_TLS_CERT", ""), get("HOTLINE_SIP_TLS_KEY", "")
	if c.SIPTLSAddr != "" {
		if err := checkHostPort(c.SIPTLSAddr); err != nil {
			return nil, fmt.Errorf("HOTLINE_SIP_TLS_ADDR: %v", err)
		}
		if c.SIPTLSCert == "" || c.SIPTLSKey == "" {
			return nil, fmt.Errorf("HOTLINE_SIP_TLS_ADDR: needs HOTLINE_SIP_TLS_CERT and HOTLINE_SIP_TLS_KEY, the PEM files of the certificate and its key")
		}
	}
	for _, s := range strings.Split(get("HOTLINE_SIP_TRUNKS", "127.0.0.0/8"), ",") {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("HOTLINE_SIP_TRUNKS: %q is not a CIDR such as 10.0.0.0/8", strings.TrimSpace(s))
		}
		c.SIPTrunks = append(c.SIPTrunks, p.Masked())
	}
	loc, err := time.LoadLocation(get("HOTLINE_TIMEZONE", "Asia/Shanghai"))
	if err != nil {
		return nil, fmt.Errorf("HOTLINE_TIMEZONE: unknown time zone %q", get("HOTLINE_TIMEZONE", ""))
	}
	c.Location = loc
	if !strings.HasPrefix(c.Transfer110, "sip:") || !strings.Contains(c.Transfer110, "@") {
		return nil, fmt.Errorf("HOTLINE_TRANSFER_110: want a SIP URI such as sip:110@10.1.1.1:5060")
	}
	targets, err := parseTransferTargets(get("HOTLINE_TRANSFER_TARGETS", ""))
	if err != nil {
		return nil, fmt.Errorf("HOTLINE_TRANSFER_TARGETS: %v", err)
	}
	targets["110"] = c.Transfer110
	c.TransferTargets = targets
	c.SIPOutbound = get("HOTLINE_SIP_OUTBOUND", "")
	if c.SIPOutbound != "" {
		if err := checkGateway(c.SIPOutbound); err != nil {
			return nil, fmt.Errorf("HOTLINE_SIP_OUTBOUND: %v", err)
		}
	}
	for _, d := range []struct {
		name, def string
		dst       *time.Duration
	}{{"HOTLINE_ACD_MAX_WAIT", "60s", &c.ACDMaxWait}, {"HOTLINE_ACD_WRAPUP", "10s", &c.ACDWrapUp}, {"HOTLINE_EVALUATION_REFRESH", "30s", &c.EvaluationRefresh}} {
		v, err := time.ParseDuration(get(d.name, d.def))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%s: want a duration such as %s", d.name, d.def)
		}
		*d.dst = v
	}
	if err := loadEscalation(c, get); err != nil {
		return nil, err
	}
	if err := loadMedia(c, get); err != nil {
		return nil, err
	}
	if err := loadSessions(c, get); err != nil {
		return nil, err
	}
	if err := loadExports(c, get); err != nil {
		return nil, err
	}
	if _, err := cron.ParseStandard(c.SweepSchedule); err != nil {
		return nil, fmt.Errorf("HOTLINE_SWEEP_SCHEDULE: %v", err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("HOTLINE_LOG_LEVEL: want debug, info, warn or error")
	}
	return c, nil
}

// openHoursRe is the form of HOTLINE_OPEN_HOURS; telephony.ParseOpenHours checks the rest.
var openHoursRe = regexp.MustCompile(`^([01][0-9]|2[0-4]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$`)

// loadMedia reads the settings of the calls' audio.
func loadMedia(c *Config, get func(name, def string) string) error {
	switch get("HOTLINE_MEDIA", "on") {
	case "on":
		c.Media = true
	case "off":
	default:
		return fmt.Errorf("HOTLINE_MEDIA: want on or off")
	}
	lo, hi, ok := strings.Cut(get("HOTLINE_RTP_PORTS", "20000-29999"), "-")
	first, err1 := strconv.Atoi(strings.TrimSpace(lo))
	last, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || first < 1024 || last > 65535 || last-first < 3 {
		return fmt.Errorf("HOTLINE_RTP_PORTS: want a range of at least four UDP ports such as 20000-29999, within 1024-65535")
	}
	c.RTPPortMin, c.RTPPortMax = first, last
	c.MediaAddr = get("HOTLINE_MEDIA_ADDR", "")
	if c.MediaAddr != "" {
		if ip, err := netip.ParseAddr(c.MediaAddr); err != nil || ip.IsUnspecified() {
			return fmt.Errorf("HOTLINE_MEDIA_ADDR: want the IP address phones send audio to, such as 203.0.113.7")
		}
	}
	c.RecordingsDir = get("HOTLINE_RECORDINGS_DIR", filepath.Join(c.DataDir, "recordings"))
	c.PromptsDir = get("HOTLINE_PROMPTS_DIR", filepath.Join(c.DataDir, "prompts"))
	days, err := strconv.Atoi(get("HOTLINE_RECORDING_RETENTION", "180"))
	if err != nil || days < 1 {
		return fmt.Errorf("HOTLINE_RECORDING_RETENTION: want a number of days, at least 1, such as 180")
	}
	c.RecordingRetention = time.Duration(days) * 24 * time.Hour
	if c.RTPTimeout, err = time.ParseDuration(get("HOTLINE_RTP_TIMEOUT", "60s")); err != nil || c.RTPTimeout < time.Second {
		return fmt.Errorf("HOTLINE_RTP_TIMEOUT: want a duration of at least 1s, such as 60s")
	}
	if c.CallbackOfferWait, err = time.ParseDuration(get("HOTLINE_CALLBACK_OFFER_WAIT", "3m")); err != nil || c.CallbackOfferWait < 0 {
		return fmt.Errorf("HOTLINE_CALLBACK_OFFER_WAIT: want a duration such as 3m, or 0 for no callback offer")
	}
	c.OpenHours = strings.TrimSpace(get("HOTLINE_OPEN_HOURS", ""))
	if c.OpenHours != "" && !openHoursRe.MatchString(c.OpenHours) {
		return fmt.Errorf("HOTLINE_OPEN_HOURS: want the daily hours as HH:MM-HH:MM such as 08:00-20:00, or nothing for always open")
	}
	switch get("HOTLINE_VOICE_MESSAGES", "on") {
	case "on":
		c.VoiceMessages = true
	case "off":
	default:
		return fmt.Errorf("HOTLINE_VOICE_MESSAGES: want on or off")
	}
	// RFC 4028's minimum is 90 s, and the headers carry whole seconds.
	if c.SessionExpires, err = time.ParseDuration(get("HOTLINE_SESSION_EXPIRES", "30m")); err != nil ||
		c.SessionExpires < 90*time.Second || c.SessionExpires%time.Second != 0 {
		return fmt.Errorf("HOTLINE_SESSION_EXPIRES: want whole seconds, at least 90s, such as 30m")
	}
	return nil
}

func loadEscalation(c *Config, get func(name, def string) string) error {
	share, err := strconv.ParseFloat(get("HOTLINE_WARN_SHARE", "0.75"), 64)
	if err != nil || !(share > 0 && share < 1) {
		return fmt.Errorf("HOTLINE_WARN_SHARE: want a share between 0 and 1 such as 0.75")
	}
	c.WarnShare = share
	period, err := time.ParseDuration(get("HOTLINE_ESCALATION_PERIOD", "24h"))
	if err != nil || period < time.Minute {
		return fmt.Errorf("HOTLINE_ESCALATION_PERIOD: want a duration of at least 1m such as 24h")
	}
	c.EscalationPeriod = period
	c.SMTPHost = get("HOTLINE_SMTP_HOST", "")
	port, err := strconv.Atoi(get("HOTLINE_SMTP_PORT", "25"))
	if err != nil || port < 1 || port > 65535 {
		return fmt.Errorf("HOTLINE_SMTP_PORT: want a port number such as 25")
	}
	c.SMTPPort = port
	c.SMTPFrom = get("HOTLINE_SMTP_FROM", "12345@localhost")
	if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || a.Name != "" {
		return fmt.Errorf("HOTLINE_SMTP_FROM: want an e-mail address such as 12345@example.gov.cn")
	}
	c.PublicURL = strings.TrimRight(get("HOTLINE_PUBLIC_URL", "http://"+c.HTTPAddr), "/")
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("HOTLINE_PUBLIC_URL: want an http:// or https:// URL such as https://12345.example.gov.cn")
	}
	c.SMSGateway = get("HOTLINE_SMS_GATEWAY", "")
	if c.SMSGateway != "" {
		u, err := url.Parse(c.SMSGateway)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("HOTLINE_SMS_GATEWAY: want an http:// or https:// URL")
		}
	}
	return nil
}

func loadSessions(c *Config, get func(name, def string) string) error {
	for _, d := range []struct {
		name, def string
		dst       *time.Duration
	}{{"HOTLINE_SESSION_LIFETIME", "12h", &c.SessionLifetime}, {"HOTLINE_IDLE_TIMEOUT", "30m", &c.IdleTimeout}} {
		v, err := time.ParseDuration(get(d.name, d.def))
		if err != nil || v < time.Minute {
			return fmt.Errorf("%s: want a duration of at least 1m such as %s", d.name, d.def)
		}
		*d.dst = v
	}
	if c.IdleTimeout > c.SessionLifetime {
		return fmt.Errorf("HOTLINE_IDLE_TIMEOUT: %s is longer than HOTLINE_SESSION_LIFETIME %s", c.IdleTimeout, c.SessionLifetime)
	}
	switch v := get("HOTLINE_REQUIRE_DURABLE", "off"); v {
	case "on", "true", "1":
		c.RequireDurable = true
	case "off", "false", "0":
	default:
		return fmt.Errorf("HOTLINE_REQUIRE_DURABLE: want on or off, got %q", v)
	}
	switch v := get("HOTLINE_SECURE_COOKIES", "off"); v {
	case "on", "true", "1":
		c.SecureCookies = true
	case "off", "false", "0":
	default:
		return fmt.Errorf("HOTLINE_SECURE_COOKIES: want on or off, got %q", v)
	}
	return nil
}

func checkHostPort(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", v)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("host %q is not an IP address", host)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

// shortNumber matches the short numbers of public hotlines and emergency services, such as
// 110, 119 or 12315.
var shortNumber = regexp.MustCompile(`^[0-9]{3,6}$`)

// parseTransferTargets reads a list such as "12315=sip:12315@10.1.1.1:5060,119=sip:119@10.1.1.2".
// 110 is left to HOTLINE_TRANSFER_110 so that the police target has one source only.
func parseTransferTargets(v string) (map[string]string, error) {
	out := make(map[string]string)
	if v == "" {
		return out, nil
	}
	for _, item := range strings.Split(v, ",") {
		name, uri, ok := strings.Cut(strings.TrimSpace(item), "=")
		name, uri = strings.TrimSpace(name), strings.TrimSpace(uri)
		switch {
		case !ok:
			return nil, fmt.Errorf("want name=sip-uri pairs such as 12315=sip:12315@10.1.1.1:5060, got %q", item)
		case !shortNumber.MatchString(name):
			return nil, fmt.Errorf("target name %q is not a short number such as 12315", name)
		case name == "110":
			return nil, fmt.Errorf("110 is set by HOTLINE_TRANSFER_110")
		case name == "12345":
			return nil, fmt.Errorf("12345 is the hotline itself")
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("target %s given twice", name)
		}
		var u sip.Uri
		if err := sip.ParseUri(uri, &u); err != nil || u.Scheme != "sip" || u.User == "" || u.Host == "" {
			return nil, fmt.Errorf("target %s: want a SIP URI such as sip:%s@10.1.1.1:5060, got %q", name, name, uri)
		}
		out[name] = uri
	}
	return out, nil
}

// checkGateway accepts host:port where host is an IP address or a DNS name.
func checkGateway(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil || host == "" {
		return fmt.Errorf("want host:port of the SIP gateway, such as 10.1.1.1:5060, got %q", v)
	}
	if net.ParseIP(host) == nil && !dnsName.MatchString(host) {
		return fmt.Errorf("host %q is neither an IP address nor a DNS name", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

var dnsName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
