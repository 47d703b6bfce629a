package spaceconfig

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
)

// ErrInvalidDuration is wrapped by every error ParseDuration returns.
var ErrInvalidDuration = errors.New("invalid duration")

// unit is one of the five units of the "1w 2d 3h 4m 5s" form. The rank gives
// the only order in which units may appear (weeks first, seconds last).
type unit struct {
	rank    int
	seconds int64
}

const (
	rankSecond = iota + 1
	rankMinute
	rankHour
	rankDay
	rankWeek

	secondsPerMinute = 60
	secondsPerHour   = 60 * secondsPerMinute
	secondsPerDay    = 24 * secondsPerHour
	secondsPerWeek   = 7 * secondsPerDay
)

// unitWord maps a lower-cased unit word to its unit; these are the spellings
// pytimeparse 1.1.8 accepts.
func unitWord(w string) (unit, bool) {
	switch w {
	case "w", "wk", "wks", "week", "weeks":
		return unit{rankWeek, secondsPerWeek}, true
	case "d", "dy", "dys", "day", "days":
		return unit{rankDay, secondsPerDay}, true
	case "h", "hr", "hrs", "hour", "hours":
		return unit{rankHour, secondsPerHour}, true
	case "m", "min", "mins", "minute", "minutes":
		return unit{rankMinute, secondsPerMinute}, true
	case "s", "sec", "secs", "second", "seconds":
		return unit{rankSecond, 1}, true
	}
	return unit{}, false
}

// ParseDuration parses a duration the way pytimeparse 1.1.8 (the version
// BKFlow pins, used for the token_expiration config) does, for the forms
// anyone writes, and returns it as a time.Duration:
//
//   - unit lists: "30m", "1.5h", "2d", "1w", "1h30m", "1d 2h", "1h, 30m",
//     "1 hour", "2 hours", "30 minutes", "5 mins", "10 secs", "3 days",
//     "2 weeks" (units in the order w, d, h, m, s, each at most once; unit
//     words are case-insensitive; optional "," or "/" after any unit but
//     seconds);
//   - clocks: "MM:SS" (1-2 digit minutes), "H:MM:SS" (optionally after a
//     week and/or day unit, e.g. "1d 2:00:00"), "D:HH:MM:SS" and ":SS";
//     only the seconds field may have a fraction;
//   - an optional leading "+" or "-" sign, optionally followed by spaces.
//
// A bare number such as "90" has no unit and is refused, as pytimeparse
// refuses it.
//
// Surrounding white space is ignored, except that, as in pytimeparse, a line
// break may only be the very last character. Like pytimeparse, when the seconds
// field is absent or a whole number, the other fields are added up and
// truncated to whole seconds ("1.01m" is 60s, "0.01m" is 0s); otherwise the
// sum is exact (arithmetic is done in exact decimals, not floats) and
// truncated to the nanosecond. Deliberate differences from pytimeparse: only
// ASCII digits and ASCII unit letters are accepted; a result beyond the
// range of time.Duration (about 292 years) is an error.
func ParseDuration(s string) (time.Duration, error) {
	d, err := parseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w %s: %s", ErrInvalidDuration, quoteBrief(s), err.Error())
	}
	return d, nil
}

// isPySpace reports whether r is white space for Python's \s (str.isspace).
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// durationFields holds the textual numbers found in a duration, as
// pytimeparse's named groups do. An empty string means absent.
type durationFields struct {
	nonSeconds []scaled // weeks, days, hours, minutes
	seconds    string
}

type scaled struct {
	number  string
	seconds int64
}

func parseDuration(s string) (time.Duration, error) {
	rest := strings.TrimLeftFunc(s, isPySpace)
	negative := false
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		negative = rest[0] == '-'
		rest = strings.TrimLeftFunc(rest[1:], isPySpace)
	}
	// pytimeparse captures the rest with "(.*)$": it may end with one
	// line break, but must not contain another.
	rest = strings.TrimSuffix(rest, "\n")
	if strings.Contains(rest, "\n") {
		return 0, errors.New("line breaks are not allowed")
	}
	rest = strings.TrimRightFunc(rest, isPySpace)
	if rest == "" {
		return 0, errors.New("empty")
	}

	f, err := parseBody(rest)
	if err != nil {
		return 0, err
	}
	return f.total(negative)
}

// parseBody recognises one of the accepted forms in a trimmed, unsigned
// string.
func parseBody(s string) (durationFields, error) {
	var f durationFields
	lowest, rest, err := scanUnits(s, &f)
	if err != nil {
		return f, err
	}
	if rest == "" {
		return f, nil
	}
	if strings.Contains(rest, ":") {
		parts := strings.Split(rest, ":")
		if len(parts) == 3 {
			// H:MM:SS may follow weeks and days, nothing smaller.
			if lowest != 0 && lowest < rankDay {
				return f, fmt.Errorf("a clock can only follow weeks or days")
			}
		} else if lowest != 0 {
			return f, fmt.Errorf("only H:MM:SS can follow a unit")
		}
		return f, parseClock(parts, &f)
	}
	if lowest == 0 && isNumber(rest) {
		// pytimeparse 1.1.8 (which BKFlow pins) rejects a bare number too.
		return f, fmt.Errorf("%s has no unit (write e.g. %ss)", quoteBrief(rest), rest)
	}
	return f, fmt.Errorf("unexpected %s", quoteBrief(rest))
}

// scanUnits consumes "<number> <unit> [,|/]" items from the start of s into
// f. It returns the rank of the last unit read (0 if none) and the
// unconsumed rest, which starts where no further item could be read.
func scanUnits(s string, f *durationFields) (int, string, error) {
	lowest := 0
	for s != "" {
		numEnd := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
		if numEnd == 0 {
			return lowest, s, nil
		}
		if numEnd < 0 {
			numEnd = len(s)
		}
		afterNum := strings.TrimLeftFunc(s[numEnd:], isPySpace)
		wordEnd := strings.IndexFunc(afterNum, func(r rune) bool { return !isASCIILetter(r) })
		if wordEnd < 0 {
			wordEnd = len(afterNum)
		}
		if wordEnd == 0 {
			// A number without a unit: a clock or a bare number, or garbage.
			return lowest, s, nil
		}
		number, word := s[:numEnd], afterNum[:wordEnd]
		u, ok := unitWord(strings.ToLower(word))
		if !ok {
			return lowest, s, fmt.Errorf("unknown unit %s", quoteBrief(word))
		}
		if !isNumber(number) {
			return lowest, s, fmt.Errorf("malformed number %s", quoteBrief(number))
		}
		if lowest != 0 && u.rank >= lowest {
			return lowest, s, fmt.Errorf("unit %s out of order (use w, d, h, m, s, each once, in that order)", quoteBrief(word))
		}
		lowest = u.rank
		if u.rank == rankSecond {
			f.seconds = number
		} else {
			f.nonSeconds = append(f.nonSeconds, scaled{number: number, seconds: u.seconds})
		}
		s = strings.TrimLeftFunc(afterNum[wordEnd:], isPySpace)
		if s != "" && (s[0] == ',' || s[0] == '/') {
			if u.rank == rankSecond {
				return lowest, s, fmt.Errorf("unexpected %q after the seconds", s[0])
			}
			s = strings.TrimLeftFunc(s[1:], isPySpace)
		}
	}
	return lowest, "", nil
}

// parseClock reads ":SS", "MM:SS", "H:MM:SS" or "D:HH:MM:SS" split on ':'.
func parseClock(parts []string, f *durationFields) error {
	last := len(parts) - 1
	if !isClockSeconds(parts[last]) {
		return fmt.Errorf("clock seconds must be two digits, got %s", quoteBrief(parts[last]))
	}
	f.seconds = parts[last]
	lead := parts[:last]
	switch len(lead) {
	case 1:
		if lead[0] == "" {
			return nil // ":SS"
		}
		if len(lead[0]) > 2 || !isDigits(lead[0]) {
			return fmt.Errorf("minutes of MM:SS must be one or two digits, got %s", quoteBrief(lead[0]))
		}
		f.nonSeconds = append(f.nonSeconds, scaled{number: lead[0], seconds: secondsPerMinute})
	case 2, 3:
		// [D:]H:MM — the first field has any number of digits, the others two.
		units := []int64{secondsPerHour, secondsPerMinute}
		if len(lead) == 3 {
			units = []int64{secondsPerDay, secondsPerHour, secondsPerMinute}
		}
		for i, p := range lead {
			if !isDigits(p) || (i > 0 && len(p) != 2) {
				return fmt.Errorf("malformed clock field %s", quoteBrief(p))
			}
			f.nonSeconds = append(f.nonSeconds, scaled{number: p, seconds: units[i]})
		}
	default:
		return errors.New("too many ':' fields")
	}
	return nil
}

// total adds the fields up following pytimeparse's rules (see ParseDuration).
func (f durationFields) total(negative bool) (time.Duration, error) {
	sum := new(big.Rat)
	for _, p := range f.nonSeconds {
		v := decimal(p.number)
		sum.Add(sum, v.Mul(v, new(big.Rat).SetInt64(p.seconds)))
	}
	if f.seconds == "" || isDigits(f.seconds) {
		// Whole seconds: the other fields are truncated to whole seconds.
		sum.SetInt(new(big.Int).Quo(sum.Num(), sum.Denom()))
	}
	if f.seconds != "" {
		sum.Add(sum, decimal(f.seconds))
	}
	nanos := sum.Mul(sum, new(big.Rat).SetInt64(int64(time.Second)))
	n := new(big.Int).Quo(nanos.Num(), nanos.Denom())
	if !n.IsInt64() {
		return 0, errors.New("out of range")
	}
	if negative {
		return -time.Duration(n.Int64()), nil
	}
	return time.Duration(n.Int64()), nil
}

// decimal converts a string accepted by isNumber to an exact rational.
func decimal(s string) *big.Rat {
	intPart, frac, _ := strings.Cut(s, ".")
	num, _ := new(big.Int).SetString("0"+intPart+frac, 10)
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	return new(big.Rat).SetFrac(num, den)
}

// isNumber accepts ASCII digits with at most one '.', and at least one digit
// ("5", "5.", ".5", "1.25").
func isNumber(s string) bool {
	intPart, frac, _ := strings.Cut(s, ".")
	return isDigits(intPart + frac)
}

// isClockSeconds accepts exactly two digits, optionally followed by '.' and
// one or more digits.
func isClockSeconds(s string) bool {
	whole, frac, hasFrac := strings.Cut(s, ".")
	return len(whole) == 2 && isDigits(whole) && (!hasFrac || (frac != "" && isDigits(frac)))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isASCIILetter(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}
