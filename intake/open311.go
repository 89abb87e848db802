package intake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// The Open311 GeoReport v2 wire format. XML is the spec's own format; JSON follows it by the
// Spark convention (a container element becomes an array), so each list type marshals to XML
// with its container and to JSON as a bare array.

// Spec is the specification token of GeoReport v2 in service discovery.
const Spec = "http://wiki.open311.org/GeoReport_v2"

// Discovery is the service discovery document.
type Discovery struct {
	XMLName    xml.Name   `xml:"discovery" json:"-"`
	Changeset  string     `xml:"changeset" json:"changeset"`
	Contact    string     `xml:"contact" json:"contact"`
	KeyService string     `xml:"key_service" json:"key_service"`
	Endpoints  []Endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

// Endpoint is one API endpoint in discovery.
type Endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

// ServiceEntry is one service in GET services.
type ServiceEntry struct {
	Code        string `xml:"service_code" json:"service_code"`
	Name        string `xml:"service_name" json:"service_name"`
	Description string `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"`
	Keywords    string `xml:"keywords" json:"keywords"`
	Group       string `xml:"group" json:"group"`
}

// ServiceList is the answer to GET services.
type ServiceList struct {
	XMLName  xml.Name       `xml:"services"`
	Services []ServiceEntry `xml:"service"`
}

// MarshalJSON writes the list as a bare array.
func (l ServiceList) MarshalJSON() ([]byte, error) { return marshalArray(l.Services) }

// ServiceDefinition is the answer to GET services/{service_code}.
type ServiceDefinition struct {
	XMLName    xml.Name       `xml:"service_definition" json:"-"`
	Code       string         `xml:"service_code" json:"service_code"`
	Attributes []AttributeDef `xml:"attributes>attribute" json:"attributes"`
}

// AttributeDef is one attribute of a service definition.
type AttributeDef struct {
	Variable            bool        `xml:"variable" json:"variable"`
	Code                string      `xml:"code" json:"code"`
	Datatype            string      `xml:"datatype" json:"datatype"`
	Required            bool        `xml:"required" json:"required"`
	DatatypeDescription string      `xml:"datatype_description" json:"datatype_description"`
	Order               int         `xml:"order" json:"order"`
	Description         string      `xml:"description" json:"description"`
	Values              []AttrValue `xml:"values>value" json:"values"`
}

// Request is one service request in GET requests and GET requests/{id}. Empty optional
// values are null in JSON; absent coordinates and deadlines are left out of XML.
type Request struct {
	ID                string   `xml:"service_request_id" json:"service_request_id"`
	Status            string   `xml:"status" json:"status"`
	StatusNotes       string   `xml:"status_notes" json:"status_notes"`
	ServiceName       string   `xml:"service_name" json:"service_name"`
	ServiceCode       string   `xml:"service_code" json:"service_code"`
	Description       string   `xml:"description" json:"description"`
	AgencyResponsible string   `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     string   `xml:"service_notice" json:"service_notice"`
	Requested         string   `xml:"requested_datetime" json:"requested_datetime"`
	Updated           string   `xml:"updated_datetime" json:"updated_datetime"`
	Expected          *string  `xml:"expected_datetime,omitempty" json:"expected_datetime"`
	Address           string   `xml:"address" json:"address"`
	AddressID         string   `xml:"address_id" json:"address_id"`
	Zipcode           string   `xml:"zipcode" json:"zipcode"`
	Lat               *float64 `xml:"lat,omitempty" json:"lat"`
	Long              *float64 `xml:"long,omitempty" json:"long"`
	MediaURL          string   `xml:"media_url" json:"media_url"`
}

// RequestList is the answer to GET requests.
type RequestList struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []Request `xml:"request"`
}

// MarshalJSON writes the list as a bare array.
func (l RequestList) MarshalJSON() ([]byte, error) { return marshalArray(l.Requests) }

// Created is the answer to POST requests for one new request.
type Created struct {
	ID            string  `xml:"service_request_id" json:"service_request_id"`
	ServiceNotice string  `xml:"service_notice" json:"service_notice"`
	AccountID     *string `xml:"account_id" json:"account_id"`
}

// CreatedList is the answer to POST requests.
type CreatedList struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []Created `xml:"request"`
}

// MarshalJSON writes the list as a bare array.
func (l CreatedList) MarshalJSON() ([]byte, error) { return marshalArray(l.Requests) }

// Error is one error in the spec's form.
type Error struct {
	Code        int    `xml:"code" json:"code"`
	Description string `xml:"description" json:"description"`
}

// ErrorList is an error answer.
type ErrorList struct {
	XMLName xml.Name `xml:"errors"`
	Errors  []Error  `xml:"error"`
}

// MarshalJSON writes the list as a bare array.
func (l ErrorList) MarshalJSON() ([]byte, error) { return marshalArray(l.Errors) }

func marshalArray[T any](v []T) ([]byte, error) {
	if v == nil {
		v = []T{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// ContentType is the Content-Type of format ("json" or "xml").
func ContentType(format string) string {
	if format == "xml" {
		return "text/xml; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// Render encodes v in format ("json" or "xml"); XML starts with its declaration.
func Render(format string, v any) ([]byte, error) {
	var b bytes.Buffer
	if format == "xml" {
		b.WriteString(xml.Header)
		enc := xml.NewEncoder(&b)
		enc.Indent("", "  ")
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("open311 xml: %w", err)
		}
		b.WriteByte('\n')
		return b.Bytes(), nil
	}
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("open311 json: %w", err)
	}
	return b.Bytes(), nil
}

// DecodeRequest reads a POST requests form into a submission. It reports what cannot be read
// at all (a number that is not one); what the values mean is Validate's business.
func DecodeRequest(form url.Values) (Submission, FieldErrors) {
	var errs FieldErrors
	get := func(k string) string {
		return form.Get(k)
	}
	sub := Submission{
		Channel:     "open311",
		ServiceCode: get("service_code"),
		Description: get("description"),
		Address:     get("address_string"),
		AddressID:   strings.TrimSpace(get("address_id")),
		FirstName:   get("first_name"),
		LastName:    get("last_name"),
		Phone:       get("phone"),
		Email:       get("email"),
		DeviceID:    strings.TrimSpace(get("device_id")),
		AccountID:   strings.TrimSpace(get("account_id")),
		MediaURL:    strings.TrimSpace(get("media_url")),
	}
	sub.Lat = parseCoord(&errs, "lat", get("lat"))
	sub.Lon = parseCoord(&errs, "long", get("long"))
	for k, vs := range form {
		code, ok := attributeCode(k)
		if !ok {
			continue
		}
		if code == "" {
			errs.add(k, "attribute_name", "names no attribute: use attribute[code]=value")
			continue
		}
		if sub.Attributes == nil {
			sub.Attributes = map[string][]string{}
		}
		sub.Attributes[code] = append(sub.Attributes[code], vs...)
	}
	sub.decodeErrs = errs
	return sub, errs
}

// attributeCode reads "attribute[code]" or "attribute[code][]".
func attributeCode(k string) (string, bool) {
	rest, ok := strings.CutPrefix(k, "attribute[")
	if !ok {
		return "", false
	}
	rest = strings.TrimSuffix(rest, "[]")
	code, ok := strings.CutSuffix(rest, "]")
	if !ok || strings.ContainsAny(code, "[]") {
		return "", true
	}
	return code, true
}

func parseCoord(errs *FieldErrors, field, v string) *float64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		errs.add(field, "number", "is not a number: %q", truncate(v, 40))
		return nil
	}
	return &f
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// ServiceList answers GET services from the catalogue: every service is realtime (the answer
// to a POST carries the ticket number at once).
func (c *Catalogue) ServiceList() ServiceList {
	l := ServiceList{Services: make([]ServiceEntry, 0, len(c.Services))}
	for _, si := range c.Services {
		desc := si.GroupZh + " / " + si.NameZh
		if si.NameEn != "" {
			desc += " (" + si.NameEn + ")"
		}
		kw := si.Keywords
		if kw == "" {
			kw = strings.ToLower(si.NameEn)
		}
		l.Services = append(l.Services, ServiceEntry{Code: si.Code, Name: si.NameZh, Description: desc,
			Metadata: len(si.Attributes) > 0, Type: "realtime", Keywords: kw, Group: si.GroupZh})
	}
	return l
}

// Definition answers GET services/{service_code}.
func (si *ServiceInfo) Definition() ServiceDefinition {
	d := ServiceDefinition{Code: si.Code, Attributes: make([]AttributeDef, 0, len(si.Attributes))}
	for _, a := range si.Attributes {
		vals := a.Values
		if vals == nil {
			vals = []AttrValue{}
		}
		d.Attributes = append(d.Attributes, AttributeDef{Variable: a.Variable, Code: a.Code, Datatype: a.Datatype,
			Required: a.Required, DatatypeDescription: a.DatatypeDescription, Order: a.Order, Description: a.Description, Values: vals})
	}
	return d
}

// AttributeAnswers reads a form's answers to service attributes (attribute[code]=value or
// attribute[code][]=value) by code, leaving out fields that name no attribute.
func AttributeAnswers(form url.Values) map[string][]string {
	out := map[string][]string{}
	for k, vs := range form {
		if code, ok := attributeCode(k); ok && code != "" {
			out[code] = append(out[code], vs...)
		}
	}
	return out
}
