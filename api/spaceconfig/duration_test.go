package spaceconfig

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	// Expected values were checked against pytimeparse 1.1.8 (except the
	// exact-decimal case).
	tests := []struct {
		in   string
		want time.Duration
	}{
		// single units, short and long spellings, any case
		{"45s", 45 * time.Second},
		{"30m", 30 * time.Minute},
		{"1h", time.Hour},
		{"1H", time.Hour},
		{"2d", 48 * time.Hour},
		{"1w", 7 * 24 * time.Hour},
		{"1.5h", 90 * time.Minute},
		{".5h", 30 * time.Minute},
		{"5.h", 5 * time.Hour},
		{"01h", time.Hour},
		{"1 hour", time.Hour},
		{"2 hours", 2 * time.Hour},
		{"3 hrs", 3 * time.Hour},
		{"1 hr", time.Hour},
		{"1hours", time.Hour},
		{"30 minutes", 30 * time.Minute},
		{"5 minute", 5 * time.Minute},
		{"2 mins", 2 * time.Minute},
		{"1 min", time.Minute},
		{"2 secs", 2 * time.Second},
		{"1 sec", time.Second},
		{"1 second", time.Second},
		{"10 seconds", 10 * time.Second},
		{"3 days", 72 * time.Hour},
		{"1 day", 24 * time.Hour},
		{"1 dy", 24 * time.Hour},
		{"2 dys", 48 * time.Hour},
		{"2 weeks", 14 * 24 * time.Hour},
		{"1 wk", 7 * 24 * time.Hour},
		{"1week", 7 * 24 * time.Hour},
		{"1 HOURS", time.Hour},
		// combinations
		{"1h30m", 90 * time.Minute},
		{"1H30M", 90 * time.Minute},
		{"1d 2h", 26 * time.Hour},
		{"1 h 30 m", 90 * time.Minute},
		{"1h\t30m", 90 * time.Minute},
		{"1h, 30m", 90 * time.Minute},
		{"1h ,30m", 90 * time.Minute},
		{"1h/30m", 90 * time.Minute},
		{"1h,", time.Hour},
		{"1hour30minutes", 90 * time.Minute},
		{"2 hours, 30 minutes", 150 * time.Minute},
		{"1w2d3h4m5s", 788645 * time.Second},
		{"1m30s", 90 * time.Second},
		{"1h 1.5s", 3601500 * time.Millisecond},
		// pytimeparse truncates non-second fields to whole seconds when
		// the seconds are whole or absent
		{"1.01m", time.Minute},
		{"0.01m", 0},
		{"1.5m30s", 2 * time.Minute},
		{"1.5m 30.5s", 120500 * time.Millisecond},
		{"0.5s", 500 * time.Millisecond},
		// exact decimals (pytimeparse's floats give 122s)
		{"2.05m", 123 * time.Second},
		// clocks
		{"1:30", 90 * time.Second},
		{"12:34", 754 * time.Second},
		{"1:30.5", 90500 * time.Millisecond},
		{"1:99", 159 * time.Second},
		{"1:00:00", time.Hour},
		{"100:00:00.5", 100*time.Hour + 500*time.Millisecond},
		{"1:99:99", 9639 * time.Second},
		{"1d 1:00:00", 25 * time.Hour},
		{"1d2:00:00", 26 * time.Hour},
		{"1d, 2:00:00", 26 * time.Hour},
		{"1 w 1:00:00", 169 * time.Hour},
		{"1.5d 2:00:00", 38 * time.Hour},
		{"1:02:03:04", 93784 * time.Second},
		{":22", 22 * time.Second},
		{":05.25", 5250 * time.Millisecond},
		// signs and white space
		{"+1h", time.Hour},
		{"-1h", -time.Hour},
		{"- 1 minute", -time.Minute},
		{"+ 1 minute", time.Minute},
		{" - 1h", -time.Hour},
		{"  1h  ", time.Hour},
		{"1h\n", time.Hour},
		{"\n1h", time.Hour},
		{"\u00a01h\u3000", time.Hour},
		{"-0s", 0},
		// limits of time.Duration
		{"9223372036.854775807s", time.Duration(1<<63 - 1)},
		{"-9223372036.854775807s", -time.Duration(1<<63 - 1)},
		{"15250w", 15250 * 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseDurationRefused(t *testing.T) {
	tests := []struct {
		in      string
		message string
	}{
		{"", `invalid duration "": empty`},
		{"   ", `invalid duration "   ": empty`},
		{"+", `invalid duration "+": empty`},
		{"-", `invalid duration "-": empty`},
		{"h", `invalid duration "h": unexpected "h"`},
		{"abc", `invalid duration "abc": unexpected "abc"`},
		{"1 fortnight", `invalid duration "1 fortnight": unknown unit "fortnight"`},
		{"5ms", `invalid duration "5ms": unknown unit "ms"`},
		{"1y", `invalid duration "1y": unknown unit "y"`},
		{"1.2.3h", `invalid duration "1.2.3h": malformed number "1.2.3"`},
		{".h", `invalid duration ".h": malformed number "."`},
		{"1.2.3", `invalid duration "1.2.3": unexpected "1.2.3"`},
		{"90", `invalid duration "90": "90" has no unit (write e.g. 90s)`},
		{"3600", `invalid duration "3600": "3600" has no unit (write e.g. 3600s)`},
		{"0", `invalid duration "0": "0" has no unit (write e.g. 0s)`},
		{"1 . 5h", `invalid duration "1 . 5h": unexpected "1 . 5h"`},
		{"1e3s", `invalid duration "1e3s": unknown unit "e"`},
		{"1,5h", `invalid duration "1,5h": unexpected "1,5h"`},
		{"1h30", `invalid duration "1h30": unexpected "30"`},
		{"1h0", `invalid duration "1h0": unexpected "0"`},
		{"30m1h", `invalid duration "30m1h": unit "h" out of order (use w, d, h, m, s, each once, in that order)`},
		{"1h1h", `invalid duration "1h1h": unit "h" out of order (use w, d, h, m, s, each once, in that order)`},
		{"1d1d", `invalid duration "1d1d": unit "d" out of order (use w, d, h, m, s, each once, in that order)`},
		{"1h,,30m", `invalid duration "1h,,30m": unexpected ",30m"`},
		{"30s,", `invalid duration "30s,": unexpected ',' after the seconds`},
		{"+-1h", `invalid duration "+-1h": unexpected "-1h"`},
		{"--1h", `invalid duration "--1h": unexpected "-1h"`},
		{"1h\n30m", `invalid duration "1h\n30m": line breaks are not allowed`},
		{"1h\n\n", `invalid duration "1h\n\n": line breaks are not allowed`},
		{"1:2", `invalid duration "1:2": clock seconds must be two digits, got "2"`},
		{":5", `invalid duration ":5": clock seconds must be two digits, got "5"`},
		{"123:45", `invalid duration "123:45": minutes of MM:SS must be one or two digits, got "123"`},
		{"1-02:03:04", `invalid duration "1-02:03:04": malformed clock field "1-02"`},
		{"1:02:03:04:05", `invalid duration "1:02:03:04:05": too many ':' fields`},
		{"1.:00:00", `invalid duration "1.:00:00": malformed clock field "1."`},
		{"1:0:00", `invalid duration "1:0:00": malformed clock field "0"`},
		{"1 : 30", `invalid duration "1 : 30": clock seconds must be two digits, got " 30"`},
		{"1:30abc", `invalid duration "1:30abc": clock seconds must be two digits, got "30abc"`},
		{"1d 1:30", `invalid duration "1d 1:30": only H:MM:SS can follow a unit`},
		{"1h 1:00:00", `invalid duration "1h 1:00:00": a clock can only follow weeks or days`},
		{"١h", `invalid duration "١h": unexpected "١h"`},
		{"15251w", `invalid duration "15251w": out of range`},
		{"9223372036.854775808s", `invalid duration "9223372036.854775808s": out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			require.ErrorIs(t, err, ErrInvalidDuration)
			require.EqualError(t, err, tt.message)
			require.Zero(t, got)
		})
	}
}

func TestParseDurationQuotesLongInputBriefly(t *testing.T) {
	_, err := ParseDuration(strings.Repeat("x", 100))
	require.EqualError(t, err, `invalid duration "`+strings.Repeat("x", 40)+`...": unexpected "`+strings.Repeat("x", 40)+`..."`)
}

// formatSeconds writes d as a number of seconds ParseDuration reads back.
func formatSeconds(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%d.%09ds", sign, d/time.Second, d%time.Second)
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1h30m", "90", "90s", "1.5h", "1d 2:03:04", "- 1 minute", ":05.25", "1w2d3h4m5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidDuration)
			return
		}
		back, err := ParseDuration(formatSeconds(d))
		require.NoError(t, err, "reparsing %q (from %q)", formatSeconds(d), s)
		require.Equal(t, d, back, "reparsing %q (from %q)", formatSeconds(d), s)

		spaced, err := ParseDuration(" " + s)
		require.NoError(t, err)
		require.Equal(t, d, spaced)
	})
}
