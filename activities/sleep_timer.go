package activities

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
)

// sleepTimer is sleep_timer legacy (定时): the node waits a number of seconds
// or until a date and time. Execute computes the wake-up time and asks to be
// polled then; the wait is a durable workflow timer, so unlike BKFlow there
// is no need to wake up every BK_TIMEMING_TICK_INTERVAL for long waits.
type sleepTimer struct {
	loc *time.Location
	now func() time.Time
}

var _ Component = (*sleepTimer)(nil)

const (
	sleepTimerLayout = "2006-01-02 15:04:05"
	// sleepTimerStateKey holds the wake-up time (RFC 3339) in Result.State.
	sleepTimerStateKey = "eta"
)

var (
	sleepSecondsRe = regexp.MustCompile(`^\d+$`)
	sleepDateRe    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)
)

// NewSleepTimer returns the sleep_timer component. Dates are read in loc
// (nil: UTC), BKFlow's server time zone; now is the clock (nil: time.Now).
func NewSleepTimer(loc *time.Location, now func() time.Time) Component {
	if loc == nil {
		loc = time.UTC
	}
	if now == nil {
		now = time.Now
	}
	return &sleepTimer{loc: loc, now: now}
}

func (*sleepTimer) Spec() Spec {
	return Spec{
		Code:        "sleep_timer",
		Version:     LegacyVersion,
		Name:        "定时",
		Description: "等待一段时间（秒）或直到指定时间（%Y-%m-%d %H:%M:%S）后继续",
		Group:       groupBK,
		Inputs: []Field{
			{Key: "bk_timing", Name: "定时时间", Type: "string", Required: true,
				Description: "定时时间，格式为秒(s) 或 (%Y-%m-%d %H:%M:%S)"},
			{Key: "force_check", Name: "是否强制晚于当前时间", Type: "bool", Default: true,
				Description: "用户输入日期格式时是否强制要求时间晚于当前时间，只对日期格式定时输入有效"},
		},
		Outputs: withDefaultOutputs(),
	}
}

func (s *sleepTimer) Execute(_ context.Context, req Request) (Result, error) {
	timing := stringify(req.Inputs["bk_timing"])
	invalid := failed(fmt.Sprintf("输入参数%s不符合【秒(s) 或 时间(%%Y-%%m-%%d %%H:%%M:%%S)】格式", timing))
	forceCheck, err := truthy(req.Inputs["force_check"], true)
	if err != nil {
		return failed(fmt.Sprintf("force_check: %v", err)), nil
	}
	now := s.now()
	var eta time.Time
	switch {
	case sleepDateRe.MatchString(timing):
		eta, err = time.ParseInLocation(sleepTimerLayout, timing, s.loc)
		if err != nil {
			return invalid, nil
		}
		if forceCheck && now.After(eta) {
			return failed("定时时间需晚于当前时间"), nil
		}
	case sleepSecondsRe.MatchString(timing):
		secs, err := strconv.ParseInt(timing, 10, 64)
		if err != nil || secs > math.MaxInt64/int64(time.Second) {
			return invalid, nil
		}
		eta = now.Add(time.Duration(secs) * time.Second)
	default:
		return invalid, nil
	}
	return s.poll(eta, now), nil
}

func (s *sleepTimer) Schedule(_ context.Context, req Request) (Result, error) {
	raw, _ := req.State[sleepTimerStateKey].(string)
	eta, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return failed("sleep_timer: the node state holds no wake-up time"), nil
	}
	now := s.now()
	if !now.Before(eta) {
		return Result{Outcome: OutcomeFinished}, nil
	}
	return s.poll(eta, now), nil
}

// poll asks to be scheduled again at eta (at once if it has passed).
func (s *sleepTimer) poll(eta, now time.Time) Result {
	return Result{
		Outcome:   OutcomePoll,
		PollAfter: max(eta.Sub(now), 0),
		State:     map[string]any{sleepTimerStateKey: eta.Format(time.RFC3339Nano)},
	}
}
