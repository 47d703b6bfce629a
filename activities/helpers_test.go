package activities

import (
	"context"
	"time"
)

// fakeComponent is a Component whose phases are test functions.
type fakeComponent struct {
	spec     Spec
	execute  func(context.Context, Request) (Result, error)
	schedule func(context.Context, Request) (Result, error)
}

var _ Component = (*fakeComponent)(nil)

func newFake(code, version string) *fakeComponent {
	return &fakeComponent{spec: Spec{Code: code, Version: version, Name: code}}
}

func (f *fakeComponent) Spec() Spec { return f.spec }

func (f *fakeComponent) Execute(ctx context.Context, req Request) (Result, error) {
	if f.execute == nil {
		return Result{Outcome: OutcomeFinished}, nil
	}
	return f.execute(ctx, req)
}

func (f *fakeComponent) Schedule(ctx context.Context, req Request) (Result, error) {
	if f.schedule == nil {
		return Result{Outcome: OutcomeFinished}, nil
	}
	return f.schedule(ctx, req)
}

// testClock is a settable clock.
type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time { return c.t }

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
