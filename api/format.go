package api

import (
	"math"
	"time"

	"github.com/bkflow/bkflow/activities"
)

// BKFlow's time formats: task objects, state trees, DRF-serialised objects
// (labels, variables: local ISO-8601, microseconds when non-zero) and
// templates (Django's JSON encoder: UTC, milliseconds, "Z").
const (
	taskTimeLayout    = "2006-01-02 15:04:05-0700"
	stateTimeLayout   = "2006-01-02 15:04:05 -0700"
	drfTimeLayout     = "2006-01-02T15:04:05Z07:00"
	drfTimeLayoutUS   = "2006-01-02T15:04:05.000000Z07:00"
	djangoTimeLayout  = "2006-01-02T15:04:05Z"
	djangoTimeLayoutM = "2006-01-02T15:04:05.000Z"
)

// formatter renders tasks in BKFlow's wire shapes.
type formatter struct {
	loc      *time.Location
	now      func() time.Time
	registry *activities.Registry
	uiURL    string
	ns       string
}

func (f formatter) taskTime(t *time.Time) *string {
	if t == nil || t.IsZero() {
		return nil
	}
	s := t.In(f.loc).Format(taskTimeLayout)
	return &s
}

func (f formatter) stateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(f.loc).Format(stateTimeLayout)
}

// elapsed is BKFlow's elapsed_time: whole seconds from start to finish (or
// to now while running), 0 when not started.
func (f formatter) elapsed(start, finish time.Time) int64 {
	if start.IsZero() {
		return 0
	}
	if finish.IsZero() {
		finish = f.now()
	}
	return int64(math.Round(finish.Sub(start).Seconds()))
}

// drfTime renders t as DRF's DateTimeField does: ISO-8601 in the configured
// time zone, with microseconds when there are any.
func (f formatter) drfTime(t time.Time) string {
	t = t.In(f.loc)
	if t.Nanosecond()/1000 != 0 {
		return t.Format(drfTimeLayoutUS)
	}
	return t.Format(drfTimeLayout)
}

// djangoTime renders t as Django's JSON encoder does (templates): UTC,
// milliseconds truncated, "Z".
func djangoTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 != 0 {
		return t.Truncate(time.Millisecond).Format(djangoTimeLayoutM)
	}
	return t.Format(djangoTimeLayout)
}
