package temporaldev

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// captureHandler records messages; safe for concurrent use.
type captureHandler struct {
	mu    *sync.Mutex
	recs  *[]slog.Record
	attrs []slog.Attr
}

func newCapture() captureHandler {
	return captureHandler{mu: new(sync.Mutex), recs: new([]slog.Record)}
}

func (h captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h captureHandler) Handle(_ context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, r)
	return nil
}

func (h captureHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return h
}

func (h captureHandler) WithGroup(string) slog.Handler { return h }

func (h captureHandler) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(*h.recs))
	for i, r := range *h.recs {
		out[i] = r.Message
	}
	return out
}

func (h captureHandler) attrsOf(msg string) map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]string{}
	for _, r := range *h.recs {
		if r.Message == msg {
			r.Attrs(func(a slog.Attr) bool {
				out[a.Key] = a.Value.String()
				return true
			})
		}
	}
	return out
}

func TestSlogLoggerLevelsTagsAndMute(t *testing.T) {
	capture := newCapture()
	l := newSlogLogger(slog.New(capture), nil)

	l.Debug("debug")
	l.Info("info")
	l.Warn("warn", tag.NewStringTag("k", "v"), tag.Error(errors.New("boom")))
	l.Error("error")
	l.Fatal("fatal must not exit")
	l.Warn("HTTP API port has not been set. Nexus HTTP endpoints will not be available.")
	l.Warn("Search attribute BkflowSpaceId already exists.")
	log.With(l, tag.NewStringTag("service", "history")).Warn("with tags")
	require.Equal(t, []string{"warn", "error", "fatal must not exit", "with tags"}, capture.messages())
	require.Equal(t, map[string]string{"k": "v", "error": "boom"}, capture.attrsOf("warn"))
	require.Equal(t, "history", capture.attrsOf("with tags")["service"])

	derived := log.With(l, tag.NewStringTag("a", "b"))
	l.mute()
	derived.Error("after mute")
	l.Error("after mute")
	require.Len(t, capture.messages(), 4)
}

func TestServerLogsReachLogger(t *testing.T) {
	capture := newCapture()
	s, _ := startServer(t, Options{UIPort: NoUI, Logger: slog.New(capture), LogLevel: slog.LevelInfo})
	require.NotEmpty(t, capture.messages(), "server info logs should reach the slog logger")
	require.Contains(t, capture.messages(), "temporal dev server started")
	require.Equal(t, s.FrontendAddress(), capture.attrsOf("temporal dev server started")["frontend"])
}
