package grant

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// EnvPeriodDaily is the only environment type: a daily time window.
const EnvPeriodDaily = "period_daily"

// translateEnvironments turns a group's environments into the conditions
// the SaaS AND-s after the resource conditions (iam.md §2.2.5), in order:
//
//	tz      → {"StringEquals":{"{sys}._bk_iam_env_.tz":["Asia/Shanghai"]}}
//	hms     → {"NumericGte":{"{sys}._bk_iam_env_.hms":[HHMMSS]}},
//	          {"NumericLte":{"{sys}._bk_iam_env_.hms":[HHMMSS]}}
//	weekday → {"NumericEquals":{"{sys}._bk_iam_env_.weekday":[0,1,...]}}
//
// where HHMMSS is H*10000 + M*100 + S. The SaaS takes whatever it is
// given; here the time zone must be one non-empty string, hms exactly two
// valid times and weekdays integers 0..6, and anything else is an error.
func translateEnvironments(system string, envs []Environment) ([]Condition, error) {
	field := func(attr string) string { return system + "._bk_iam_env_." + attr }
	var out []Condition
	for i, env := range envs {
		at := fmt.Sprintf("environments[%d]", i)
		if env.Type != EnvPeriodDaily {
			return nil, fieldErr(at+".type", "is %q; only %s is supported", env.Type, EnvPeriodDaily)
		}
		for j, c := range env.Condition {
			cat := fmt.Sprintf("%s.condition[%d]", at, j)
			switch c.Type {
			case "tz":
				if len(c.Values) != 1 {
					return nil, fieldErr(cat+".values", "must hold exactly one time zone")
				}
				tz, ok := c.Values[0].Value.(string)
				if !ok || tz == "" {
					return nil, fieldErr(cat+".values[0].value", "must be a time zone name")
				}
				out = append(out, Leaf(OpStringEquals, field("tz"), tz))
			case "hms":
				if len(c.Values) != 2 {
					return nil, fieldErr(cat+".values", "must hold two times, from and to")
				}
				from, err := hms(c.Values[0].Value, cat+".values[0].value")
				if err != nil {
					return nil, err
				}
				to, err := hms(c.Values[1].Value, cat+".values[1].value")
				if err != nil {
					return nil, err
				}
				out = append(out, Leaf(OpNumericGte, field("hms"), from), Leaf(OpNumericLte, field("hms"), to))
			case "weekday":
				if len(c.Values) == 0 {
					return nil, fieldErr(cat+".values", "must not be empty")
				}
				days := make([]any, len(c.Values))
				for k, v := range c.Values {
					d, err := weekday(v.Value, fmt.Sprintf("%s.values[%d].value", cat, k))
					if err != nil {
						return nil, err
					}
					days[k] = d
				}
				out = append(out, Leaf(OpNumericEquals, field("weekday"), days...))
			default:
				return nil, fieldErr(cat+".type", "is %q; want tz, hms or weekday", c.Type)
			}
		}
	}
	return out, nil
}

// hms reads "HH:MM:SS" as H*10000 + M*100 + S.
func hms(v any, at string) (int64, error) {
	s, ok := v.(string)
	parts := strings.Split(s, ":")
	if !ok || len(parts) != 3 {
		return 0, fieldErr(at, "must be a time HH:MM:SS")
	}
	var n [3]int64
	for i, p := range parts {
		x, err := strconv.ParseUint(p, 10, 8)
		if err != nil || len(p) > 2 || x > [3]uint64{23, 59, 59}[i] {
			return 0, fieldErr(at, "must be a time HH:MM:SS, got %q", s)
		}
		n[i] = int64(x)
	}
	return n[0]*10000 + n[1]*100 + n[2], nil
}

// weekday reads a day 0..6 given as an integer or a string of digits, as
// Python's int() does.
func weekday(v any, at string) (int64, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		if x == float64(int64(x)) {
			s = strconv.FormatInt(int64(x), 10)
		}
	}
	d, err := strconv.ParseInt(s, 10, 64)
	if err != nil || d < 0 || d > 6 {
		return 0, fieldErr(at, "must be a weekday 0..6")
	}
	return d, nil
}
