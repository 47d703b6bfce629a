package bench

// The HTTP decision figure of issue 5: /api/v1/policy/auth on loopback for
// 60 s (BKFLOW_BENCH_DURATION) from BKFLOW_BENCH_CONCURRENCY (64) closed-loop
// clients, against the real dev stack, the load generator on the same
// machine. The user holds a path grant ("every task of space 1") and an id
// grant; requests alternate allowed and denied tasks. Prints throughput
// (req/s) and p50/p99/max latency.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

func BenchmarkPolicyAuthHTTP(b *testing.B) {
	dur := envDuration(b, "BKFLOW_BENCH_DURATION", time.Minute)
	conc := envInt(b, "BKFLOW_BENCH_CONCURRENCY", 64)
	s := startAPIStack(b)
	auth := s.AuthHeader("admin")
	grant := func(path string, body map[string]any) {
		r := s.Do(http.MethodPost, path, auth, body)
		if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"code":0`)) {
			b.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	grant("/api/v1/open/authorization/path/", map[string]any{"asynchronous": false, "operate": "grant", "system": "bkflow",
		"action": map[string]any{"id": "task_view"}, "subject": map[string]any{"type": "user", "id": "bench"},
		"resources": []any{map[string]any{"system": "bkflow", "type": "task",
			"path": []any{map[string]any{"type": "space", "id": "1", "name": "one"}}}}})
	grant("/api/v1/open/authorization/instance/", map[string]any{"asynchronous": false, "operate": "grant", "system": "bkflow",
		"action": map[string]any{"id": "task_view"}, "subject": map[string]any{"type": "user", "id": "bench"},
		"resources": []any{map[string]any{"system": "bkflow", "type": "task", "id": "99", "name": "ninety-nine"}}})

	bodies := make([][]byte, 16)
	for i := range bodies {
		space := 1 + i%2 // odd requests ask about space 2: denied
		bodies[i] = fmt.Appendf(nil, `{"system":"bkflow","subject":{"type":"user","id":"bench"},"action":{"id":"task_view"},`+
			`"resources":[{"system":"bkflow","type":"task","id":"%d","attribute":{"_bk_iam_path_":["/space,%d/","/space,%d/template,3/"]}}]}`,
			10+i, space, space)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
	url := s.URL("/api/v1/policy/auth")
	call := func(body []byte) error {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("X-Bk-App-Code", s.AppCode)
		req.Header.Set("X-Bk-App-Secret", s.AppSecret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"allowed"`)) {
			return fmt.Errorf("%d %s", resp.StatusCode, out)
		}
		return nil
	}
	for i := range 200 { // warm up: connections, the app-secret cache
		if err := call(bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		var (
			mu       sync.Mutex
			all      []time.Duration
			errs     int
			firstErr error
			wg       sync.WaitGroup
		)
		deadline := time.Now().Add(dur)
		start := time.Now()
		for w := range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ds []time.Duration
				var werrs int
				var wfirst error
				for i := w; time.Now().Before(deadline); i++ {
					t0 := time.Now()
					if err := call(bodies[i%len(bodies)]); err != nil {
						werrs++
						if wfirst == nil {
							wfirst = err
						}
						continue
					}
					ds = append(ds, time.Since(t0))
				}
				mu.Lock()
				all = append(all, ds...)
				errs += werrs
				if firstErr == nil {
					firstErr = wfirst
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		sum := summarize(all, errs, firstErr)
		sum.extra = map[string]float64{"req/s": float64(len(all)) / elapsed.Seconds(), "clients": float64(conc)}
		report(b, "policy_auth", sum)
	}
}
