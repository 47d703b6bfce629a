package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSleepTimerExecute(t *testing.T) {
	t.Parallel()
	shanghai := mustLocation("Asia/Shanghai")
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, shanghai)
	invalid := func(v string) Result {
		return failed("输入参数" + v + "不符合【秒(s) 或 时间(%Y-%m-%d %H:%M:%S)】格式")
	}
	poll := func(after time.Duration, eta time.Time) Result {
		return Result{Outcome: OutcomePoll, PollAfter: after,
			State: map[string]any{"eta": eta.Format(time.RFC3339Nano)}}
	}
	tests := []struct {
		name   string
		inputs map[string]any
		want   Result
	}{
		{"seconds", map[string]any{"bk_timing": "30"}, poll(30*time.Second, now.Add(30*time.Second))},
		{"seconds as a number", map[string]any{"bk_timing": 90.0}, poll(90*time.Second, now.Add(90*time.Second))},
		{"zero seconds", map[string]any{"bk_timing": "0"}, poll(0, now)},
		{"datetime in the server zone", map[string]any{"bk_timing": "2024-05-01 12:30:00"},
			poll(150*time.Minute, time.Date(2024, 5, 1, 12, 30, 0, 0, shanghai))},
		{"leap day", map[string]any{"bk_timing": "2028-02-29 10:00:00"},
			poll(time.Date(2028, 2, 29, 10, 0, 0, 0, shanghai).Sub(now), time.Date(2028, 2, 29, 10, 0, 0, 0, shanghai))},
		{"past datetime with force_check default", map[string]any{"bk_timing": "2024-05-01 09:59:59"},
			failed("定时时间需晚于当前时间")},
		{"past datetime with force_check true", map[string]any{"bk_timing": "2024-04-01 00:00:00", "force_check": true},
			failed("定时时间需晚于当前时间")},
		{"past datetime without force_check", map[string]any{"bk_timing": "2024-05-01 09:00:00", "force_check": false},
			poll(0, time.Date(2024, 5, 1, 9, 0, 0, 0, shanghai))},
		{"force_check as text", map[string]any{"bk_timing": "2024-05-01 09:00:00", "force_check": "false"},
			poll(0, time.Date(2024, 5, 1, 9, 0, 0, 0, shanghai))},
		{"now is not in the past", map[string]any{"bk_timing": "2024-05-01 10:00:00"}, poll(0, now)},
		{"words", map[string]any{"bk_timing": "tomorrow"}, invalid("tomorrow")},
		{"negative", map[string]any{"bk_timing": "-5"}, invalid("-5")},
		{"fraction", map[string]any{"bk_timing": 1.5}, invalid("1.5")},
		{"missing", map[string]any{}, invalid("")},
		{"impossible date", map[string]any{"bk_timing": "2024-02-30 10:00:00"}, invalid("2024-02-30 10:00:00")},
		{"ISO format", map[string]any{"bk_timing": "2024-05-01T12:00:00"}, invalid("2024-05-01T12:00:00")},
		{"too many seconds", map[string]any{"bk_timing": "99999999999999999999"}, invalid("99999999999999999999")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewSleepTimer(shanghai, func() time.Time { return now })
			got, err := c.Execute(t.Context(), Request{Inputs: tt.inputs})
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestSleepTimerDefaultsToUTC(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	c := NewSleepTimer(nil, func() time.Time { return now })
	got, err := c.Execute(t.Context(), Request{Inputs: map[string]any{"bk_timing": "2024-05-01 11:00:00"}})
	require.NoError(t, err)
	require.Equal(t, time.Hour, got.PollAfter)
}

func TestSleepTimerSchedule(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}
	c := NewSleepTimer(time.UTC, clock.Now)
	res, err := c.Execute(t.Context(), Request{Inputs: map[string]any{"bk_timing": "60"}})
	require.NoError(t, err)
	require.Equal(t, OutcomePoll, res.Outcome)
	require.Equal(t, time.Minute, res.PollAfter)
	state := res.State

	steps := []struct {
		advance time.Duration
		want    Outcome
		after   time.Duration
	}{
		{30 * time.Second, OutcomePoll, 30 * time.Second}, // woken early: poll for the rest
		{29*time.Second + 500*time.Millisecond, OutcomePoll, 500 * time.Millisecond},
		{500 * time.Millisecond, OutcomeFinished, 0}, // exactly at the wake-up time
		{time.Hour, OutcomeFinished, 0},              // late
	}
	for _, s := range steps {
		clock.t = clock.t.Add(s.advance)
		res, err := c.Schedule(t.Context(), Request{State: state})
		require.NoError(t, err)
		require.Equal(t, s.want, res.Outcome, clock.t)
		require.Equal(t, s.after, res.PollAfter)
		if res.Outcome == OutcomePoll {
			require.Equal(t, state, res.State)
		}
	}

	res, err = c.Schedule(t.Context(), Request{})
	require.NoError(t, err)
	require.Equal(t, failed("sleep_timer: the node state holds no wake-up time"), res)
}
