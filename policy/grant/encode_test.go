package grant

import (
	"encoding/json"
	"math"
	"testing"
)

func TestAppendPyValue(t *testing.T) {
	t.Parallel()
	// The expected strings are Python's json.dumps output for the same
	// values (floats: repr).
	cases := []struct {
		in   any
		want string
	}{
		{"plain", `"plain"`},
		{"", `""`},
		{"q\"b\\s/", `"q\"b\\s/"`},
		{"\n\r\t\b\f\x00\x1f\x7f", `"\n\r\t\b\f\u0000\u001f\u007f"`},
		{"<&>", `"<&>"`},
		{"蓝鲸", `"\u84dd\u9cb8"`},
		{"\u2028", `"\u2028"`},
		{"😀", `"\ud83d\ude00"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{true, `true`},
		{false, `false`},
		{json.Number("0"), `0`},
		{json.Number("-0"), `0`},
		{json.Number("42"), `42`},
		{json.Number("-7"), `-7`},
		{json.Number("123456789012345678901234567890"), `123456789012345678901234567890`},
		{json.Number("1.0"), `1.0`},
		{json.Number("2.50"), `2.5`},
		{json.Number("-0.0"), `-0.0`},
		{json.Number("1e2"), `100.0`},
		{json.Number("1E+2"), `100.0`},
		{json.Number("1e16"), `1e+16`},
		{json.Number("1.5e16"), `1.5e+16`},
		{json.Number("1234567890123456.0"), `1234567890123456.0`},
		{json.Number("0.0001"), `0.0001`},
		{json.Number("0.00001"), `1e-05`},
		{json.Number("0.1"), `0.1`},
		{json.Number("1e-300"), `1e-300`},
		{json.Number("1.7976931348623157e308"), `1.7976931348623157e+308`},
		{json.Number("5e-324"), `5e-324`},
		{1, `1`},
		{int64(-9), `-9`},
		{uint8(200), `200`},
		{uint64(math.MaxUint64), `18446744073709551615`},
		{1.0, `1.0`},
		{math.Nextafter(0.3, 1), `0.30000000000000004`},
		{float32(0.5), `0.5`},
		{math.Copysign(0, -1), `-0.0`},
	}
	for _, c := range cases {
		got, err := appendPyValue(nil, c.in)
		if err != nil {
			t.Errorf("%#v: %v", c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%#v: got %s, want %s", c.in, got, c.want)
		}
	}
	for _, bad := range []any{nil, math.Inf(1), math.NaN(), json.Number("1e400"), json.Number("01"), json.Number("1."), json.Number("abc"), json.Number(""), []any{}, map[string]any{}} {
		if got, err := appendPyValue(nil, bad); err == nil {
			t.Errorf("%#v: got %s, want an error", bad, got)
		}
	}
}
