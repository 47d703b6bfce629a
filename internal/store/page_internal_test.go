package store

import (
	"errors"
	"testing"
)

func TestPageTotal(t *testing.T) {
	errCount := errors.New("count failed")
	for _, c := range []struct {
		name                 string
		offset, limit, got   int
		want                 int
		counted, countFailed bool
	}{
		{name: "short first page ends the list", offset: 0, limit: 10, got: 3, want: 3},
		{name: "empty first page: nothing at all", offset: 0, limit: 10, got: 0, want: 0},
		{name: "short later page", offset: 20, limit: 10, got: 4, want: 24},
		{name: "full page counts", offset: 0, limit: 10, got: 10, want: 99, counted: true},
		{name: "full later page counts", offset: 10, limit: 10, got: 10, want: 99, counted: true},
		{name: "empty page past the end counts", offset: 200, limit: 10, got: 0, want: 99, counted: true},
		{name: "limit 0 counts", offset: 0, limit: 0, got: 0, want: 99, counted: true},
		{name: "a failed count is an error", offset: 0, limit: 1, got: 1, counted: true, countFailed: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			counted := false
			n, err := pageTotal(c.offset, c.limit, c.got, func() (int, error) {
				counted = true
				if c.countFailed {
					return 0, errCount
				}
				return 99, nil
			})
			if counted != c.counted {
				t.Fatalf("counted = %v, want %v", counted, c.counted)
			}
			if c.countFailed {
				if !errors.Is(err, errCount) {
					t.Fatalf("err = %v, want the count's", err)
				}
				return
			}
			if err != nil || n != c.want {
				t.Fatalf("pageTotal = %d, %v; want %d", n, err, c.want)
			}
		})
	}
}
