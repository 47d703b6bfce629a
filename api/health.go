package api

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// readinessCheck is one dependency /readyz verifies.
type readinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// componentStatus is one line of the /readyz report.
type componentStatus struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

const readinessTimeout = 3 * time.Second

// healthz answers as long as the process serves HTTP.
func healthz(*http.Request) (any, error) { return "ok", nil }

// readyz checks every dependency concurrently and answers 200 when all
// answer, else 503 naming the ones that failed.
func readyz(a adapter, checks []readinessCheck) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
		defer cancel()
		out := make([]componentStatus, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = componentStatus{Name: c.Name, OK: true}
				if err := c.Check(ctx); err != nil {
					out[i] = componentStatus{Name: c.Name, Error: err.Error()}
				}
			}()
		}
		wg.Wait()
		var failed []string
		for _, s := range out {
			if !s.OK {
				failed = append(failed, s.Name+": "+s.Error)
			}
		}
		if len(failed) > 0 {
			msg := "not ready: " + failed[0]
			for _, f := range failed[1:] {
				msg += "; " + f
			}
			writeJSON(w, http.StatusServiceUnavailable, envelope{Result: false, Code: http.StatusServiceUnavailable, Message: msg, Data: out})
			return
		}
		writeJSON(w, http.StatusOK, envelope{Result: true, Code: codeOK, Data: out})
	}
}
