package api

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
)

// Pagination of BKFlow's interface lists: offset default 0, limit default
// 100, at most 200.
const (
	defaultLimit = 100
	maxLimit     = 200
)

// pagination reads offset and limit; a value that is not a non-negative
// integer is refused naming the parameter (BKFlow answers those with a 500).
func pagination(fe FieldErrors, qs url.Values) (offset, limit int) {
	offset = queryInt(fe, qs, "offset", 0)
	limit = min(queryInt(fe, qs, "limit", defaultLimit), maxLimit)
	return offset, limit
}

func queryInt(fe FieldErrors, qs url.Values, name string, def int) int {
	s := strings.TrimSpace(qs.Get(name))
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		fe.Add(name, "must be an integer greater than or equal to 0")
		return def
	}
	return n
}

// queryString reads an optional query parameter of at most max characters.
func queryString(fe FieldErrors, qs url.Values, name string, max int) string {
	s := strings.TrimSpace(qs.Get(name))
	if utf8.RuneCountInString(s) > max {
		fe.Add(name, msgMaxLength(max))
	}
	return s
}

// parseIDList parses a comma-separated list of ids, ignoring empty items.
func parseIDList(fe FieldErrors, field, s string) []int64 {
	ids := []int64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			fe.Add(field, fmt.Sprintf("must be comma-separated integers, got %q", part))
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

var labelNameSeparators = regexp.MustCompile(`[,\s]+`)

// labelNames splits BKFlow's label filter: names separated by commas or
// white space.
func labelNames(s string) []string {
	var out []string
	for _, n := range labelNameSeparators.Split(strings.TrimSpace(s), -1) {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// queryTimeLayouts are the date-times DRF's DateTimeField accepts.
var queryTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04",
}

// queryTime reads an optional ISO-8601 date-time; times without a zone are
// in the configured time zone.
func (f formatter) queryTime(fe FieldErrors, qs url.Values, name string) *time.Time {
	s := strings.TrimSpace(qs.Get(name))
	if s == "" {
		return nil
	}
	for _, layout := range queryTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, f.loc); err == nil {
			return &t
		}
	}
	fe.Add(name, "Datetime has wrong format. Use one of these formats instead: "+
		"YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")
	return nil
}

// parseBool reads a boolean the way DRF's BooleanField does.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "t", "yes", "y", "on":
		return true, true
	case "0", "false", "f", "no", "n", "off":
		return false, true
	}
	return false, false
}

// digits matches a path id: decimal digits only (no sign, no spaces).
var digits = regexp.MustCompile(`^[0-9]+$`)

// pathID reads the integer path parameter name; a malformed id is refused
// like an unknown route (404), naming the parameter.
func pathID(r *http.Request, name string) (int64, error) {
	raw := chi.URLParam(r, name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if !digits.MatchString(raw) || err != nil {
		return 0, errNotFound(fmt.Sprintf("%s must be an integer, got %q", name, raw))
	}
	return id, nil
}
