package bench

// The API figures of issue 4, on the real dev stack over HTTP: run
// `bench/api.sh`, or `go test -run '^$' -bench 'CreateStartLoad|ListsAt100k' -benchtime 1x ./bench/`.
// Every figure is a sub-benchmark line whose metrics are p50-ms, p99-ms and
// max-ms of the successful requests, errors and samples (plus rows, the
// count a list answered). Nothing asserts on time.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// apiClient calls the endpoints of one space as an access system would:
// one keep-alive connection pool, the dev app's credentials.
type apiClient struct {
	hc   *http.Client
	base string
	auth string
}

func newAPIClient(s *stacktest.Stack, sp *stacktest.Space) *apiClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 4096, 4096
	return &apiClient{hc: &http.Client{Transport: tr, Timeout: time.Minute},
		base: s.URL(fmt.Sprintf("/space/%d/", sp.ID)), auth: sp.Auth}
}

// answer is BKFlow's envelope; Count is the top-level count of the lists
// that have one (get_template_list).
type answer struct {
	Result  bool            `json:"result"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Count   *int            `json:"count"`
}

// call sends one request (body nil or a JSON value) and decodes the
// envelope. An error is a transport error, a status other than 200 or an
// envelope with result false.
func (c *apiClient) call(method, path string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("X-Bkapi-Authorization", c.auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return answer{}, fmt.Errorf("%s %s: HTTP %d: %.300s", method, path, resp.StatusCode, raw)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return answer{}, fmt.Errorf("%s %s: %w: %.300s", method, path, err, raw)
	}
	if !a.Result {
		return a, fmt.Errorf("%s %s: refused: %s", method, path, a.Message)
	}
	return a, nil
}

// summary is the distribution of the successful requests' latencies.
type summary struct {
	N, Errors     int
	P50, P99, Max time.Duration
	Rows          int // the list's count, -1 when not a list
	FirstErr      error
	extra         map[string]float64
}

func summarize(ds []time.Duration, errors int, firstErr error) summary {
	s := slices.Clone(ds)
	slices.Sort(s)
	out := summary{N: len(s), Errors: errors, Rows: -1, FirstErr: firstErr}
	if len(s) > 0 {
		out.P50, out.P99, out.Max = percentile(s, 0.50), percentile(s, 0.99), s[len(s)-1]
	}
	return out
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// report prints s as the sub-benchmark name.
func report(b *testing.B, name string, s summary) {
	b.Helper()
	if s.Errors > 0 {
		b.Logf("%s: %d errors, the first: %v", name, s.Errors, s.FirstErr)
	}
	b.Run(name, func(b *testing.B) {
		for range b.N {
		}
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(ms(s.P50), "p50-ms")
		b.ReportMetric(ms(s.P99), "p99-ms")
		b.ReportMetric(ms(s.Max), "max-ms")
		b.ReportMetric(float64(s.Errors), "errors")
		b.ReportMetric(float64(s.N), "samples")
		if s.Rows >= 0 {
			b.ReportMetric(float64(s.Rows), "rows")
		}
		for k, v := range s.extra {
			b.ReportMetric(v, k)
		}
	})
}

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(b, err, name)
	return n
}

func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	require.NoError(b, err, name)
	return d
}

// loadTree is the template of the load: start → one bk_display node that
// uses a constant → end, with the constant exported.
func loadTree() *pipelinetest.Tree {
	t := pipelinetest.New()
	t.Constant("who", "world")
	t.Activity("greet", "bk_display", "v1.0", map[string]any{"bk_display_message": "hello ${who}"})
	t.Chain("start", "greet", "end")
	return t
}

// loadRun is what one open-loop run measured.
type loadRun struct {
	create, start, pair   []time.Duration
	createErrs, startErrs int
	firstErr              error
	started               []int64 // the tasks whose start succeeded
	maxLag                time.Duration
	maxInFlight           int64
	sentIn                time.Duration
}

// openLoop issues rate requests a second for d on a fixed schedule, each
// one create_task then operate_task/start of the new task, without waiting
// for earlier requests. create_task's latency and the pair's are measured
// from the scheduled send time (so a late send counts against the server,
// no coordinated omission); start's from its own send, right after
// create_task answered.
func openLoop(c *apiClient, templateID int64, rate int, d time.Duration, tag string, noStart bool) *loadRun {
	n := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	type one struct {
		create, start, pair time.Duration
		createErr, startErr error
		id                  int64
	}
	res := make([]one, n)
	run := &loadRun{}
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now().Add(50 * time.Millisecond)
	for i := range n {
		at := begin.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		if lag := time.Since(at); lag > run.maxLag {
			run.maxLag = lag
		}
		if f := inFlight.Add(1); f > run.maxInFlight {
			run.maxInFlight = f
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inFlight.Add(-1)
			r := &res[i]
			a, err := c.call(http.MethodPost, "create_task/", map[string]any{"template_id": templateID,
				"creator": "loadgen", "name": fmt.Sprintf("%s %d", tag, i), "constants": map[string]any{"${who}": "bench"}})
			r.create = time.Since(at)
			var created struct {
				ID int64 `json:"id"`
			}
			if err == nil {
				err = json.Unmarshal(a.Data, &created)
			}
			if err != nil {
				r.createErr = err
				return
			}
			r.id = created.ID
			if noStart {
				return
			}
			sent := time.Now()
			_, err = c.call(http.MethodPost, fmt.Sprintf("task/%d/operate_task/start/", created.ID),
				map[string]any{"operator": "loadgen"})
			r.start, r.pair = time.Since(sent), time.Since(at)
			r.startErr = err
		}()
	}
	run.sentIn = time.Since(begin)
	wg.Wait()
	for _, r := range res {
		switch {
		case r.createErr != nil:
			run.createErrs++
			if run.firstErr == nil {
				run.firstErr = r.createErr
			}
			continue
		case r.startErr != nil:
			run.startErrs++
			if run.firstErr == nil {
				run.firstErr = r.startErr
			}
		case !noStart:
			run.start = append(run.start, r.start)
			run.pair = append(run.pair, r.pair)
			run.started = append(run.started, r.id)
		}
		run.create = append(run.create, r.create)
	}
	return run
}

// drain waits until every task of ids closed (FINISHED, FAILED or
// REVOKED, as get_tasks_states reads it from PostgreSQL) and returns how
// long that took and how many did not close within limit.
func drain(b *testing.B, c *apiClient, ids []int64, limit time.Duration) (time.Duration, int) {
	b.Helper()
	begin := time.Now()
	open := slices.Clone(ids)
	for len(open) > 0 && time.Since(begin) < limit {
		var still []int64
		for chunk := range slices.Chunk(open, 1000) {
			a, err := c.call(http.MethodPost, "get_tasks_states/", map[string]any{"task_ids": chunk})
			require.NoError(b, err)
			var states map[string]struct {
				State string `json:"state"`
			}
			require.NoError(b, json.Unmarshal(a.Data, &states))
			for _, id := range chunk {
				switch states[strconv.FormatInt(id, 10)].State {
				case "FINISHED", "FAILED", "REVOKED":
				default:
					still = append(still, id)
				}
			}
		}
		open = still
		if len(open) > 0 {
			time.Sleep(250 * time.Millisecond)
		}
	}
	return time.Since(begin), len(open)
}

// startAPIStack is startStack with BKFLOW_BENCH_PPROF (an address) passed
// on as the stack's --pprof-addr, to profile it during a run.
func startAPIStack(b *testing.B) *stacktest.Stack {
	b.Helper()
	var env []string
	if addr := os.Getenv("BKFLOW_BENCH_PPROF"); addr != "" {
		env = append(env, "BKFLOW_PPROF_ADDR="+addr)
	}
	return stacktest.Start(b, stacktest.Options{PrivatePostgres: os.Getenv("DATABASE_URL") == "", Env: env})
}

// BenchmarkCreateStartLoad: create_task then operate_task/start of the new
// task, 100 times a second for 60 s (BKFLOW_BENCH_RATE, _DURATION), open
// loop, on a one-node template. A warm-up of 30 pairs at 10/s runs first
// (not measured) and its tasks are let finish. drain-s is the time from the
// last answer to the last measured task closing (the engine's backlog).
// BKFLOW_BENCH_NO_START=1 sends create_task alone.
func BenchmarkCreateStartLoad(b *testing.B) {
	rate := envInt(b, "BKFLOW_BENCH_RATE", 100)
	dur := envDuration(b, "BKFLOW_BENCH_DURATION", time.Minute)
	noStart := os.Getenv("BKFLOW_BENCH_NO_START") == "1"
	s := startAPIStack(b)
	sp := stacktest.NewSpace(b, s)
	tpl := sp.CreateTemplate(loadTree(), map[string]any{"name": "load"})
	c := newAPIClient(s, sp)
	for range b.N {
		warm := openLoop(c, tpl, 10, 3*time.Second, "warm-up", noStart)
		if warm.createErrs+warm.startErrs > 0 {
			b.Logf("warm-up: %d errors, the first: %v", warm.createErrs+warm.startErrs, warm.firstErr)
		}
		if !noStart {
			_, left := drain(b, c, warm.started, 5*time.Minute)
			require.Zero(b, left, "warm-up tasks still open after 5 min")
		}

		run := openLoop(c, tpl, rate, dur, "load", noStart)
		var drained time.Duration
		left := 0
		if !noStart {
			drained, left = drain(b, c, run.started, 10*time.Minute)
		}
		b.Logf("%d requests at %d/s over %s (sent in %s, max send lag %s, max in flight %d); create errors %d, start errors %d; "+
			"started tasks all closed %s after the last answer (%d still open)", int(dur.Seconds()*float64(rate)), rate, dur,
			run.sentIn.Round(time.Millisecond), run.maxLag.Round(time.Microsecond), run.maxInFlight, run.createErrs,
			run.startErrs, drained.Round(time.Millisecond), left)
		cr := summarize(run.create, run.createErrs, run.firstErr)
		cr.extra = map[string]float64{"max-in-flight": float64(run.maxInFlight)}
		report(b, "create_task", cr)
		if noStart {
			continue
		}
		st := summarize(run.start, run.startErrs, run.firstErr)
		pr := summarize(run.pair, run.createErrs+run.startErrs, run.firstErr)
		pr.extra = map[string]float64{"drain-s": drained.Seconds(), "open-after-drain": float64(left)}
		report(b, "operate_task_start", st)
		report(b, "create+start", pr)
	}
}
