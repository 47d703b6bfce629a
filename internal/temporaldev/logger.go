package temporaldev

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// slogLogger adapts a *slog.Logger to the Temporal server's log.Logger.
// Records below minLevel are dropped before any tag is converted, so the
// server's chatty info/debug logging costs almost nothing.
//
// muted silences the logger (and every logger derived from it): Stop sets it
// because a shutdown produces a burst of expected warnings and errors
// (cancelled long polls, refused reconnects from goroutines that outlive the
// server's Stop), which would only confuse someone watching `bkflow dev`.
type slogLogger struct {
	log      *slog.Logger
	minLevel slog.Leveler
	muted    *atomic.Bool
}

var (
	_ log.Logger      = slogLogger{}
	_ log.WithLogger  = slogLogger{}
	_ log.SLogWrapper = slogLogger{}
)

// newSlogLogger returns a server logger writing to l (nil = discard) at
// minLevel and above.
func newSlogLogger(l *slog.Logger, minLevel slog.Leveler) slogLogger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	if minLevel == nil {
		minLevel = slog.LevelWarn
	}
	return slogLogger{
		log:      slog.New(levelHandler{min: minLevel, next: l.Handler()}),
		minLevel: minLevel,
		muted:    new(atomic.Bool),
	}
}

func (s slogLogger) Debug(msg string, tags ...tag.Tag) { s.emit(slog.LevelDebug, msg, tags) }
func (s slogLogger) Info(msg string, tags ...tag.Tag)  { s.emit(slog.LevelInfo, msg, tags) }
func (s slogLogger) Warn(msg string, tags ...tag.Tag)  { s.emit(slog.LevelWarn, msg, tags) }
func (s slogLogger) Error(msg string, tags ...tag.Tag) { s.emit(slog.LevelError, msg, tags) }

// DPanic, Panic and Fatal are logged as errors: an embedded dev server must
// never take the host process down through its logger.
func (s slogLogger) DPanic(msg string, tags ...tag.Tag) { s.emit(slog.LevelError, msg, tags) }
func (s slogLogger) Panic(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }
func (s slogLogger) Fatal(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }

// With returns a logger that prepends tags to every record.
func (s slogLogger) With(tags ...tag.Tag) log.Logger {
	attrs := tagsToAttrs(tags)
	args := make([]any, len(attrs))
	for i, a := range attrs {
		args[i] = a
	}
	return slogLogger{log: s.log.With(args...), minLevel: s.minLevel, muted: s.muted}
}

// SLog exposes the (level-filtered) slog logger; log.NewSlogLogger uses it.
// Muting does not apply to it.
func (s slogLogger) SLog() *slog.Logger { return s.log }

// mute silences s and all loggers derived from it, for good.
func (s slogLogger) mute() { s.muted.Store(true) }

func (s slogLogger) emit(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if s.muted.Load() || !s.log.Enabled(ctx, level) || isBenign(msg) {
		return
	}
	s.log.LogAttrs(ctx, level, msg, tagsToAttrs(tags)...)
}

// isBenign reports warnings that are expected in this setup and are logged
// on every start.
func isBenign(msg string) bool {
	switch {
	case strings.HasPrefix(msg, "HTTP API port has not been set."):
		// The frontend's HTTP API (and so Nexus) is deliberately off.
		return true
	case strings.HasPrefix(msg, "Search attribute ") && strings.HasSuffix(msg, " already exists."):
		// AddSearchAttributes of an existing attribute, i.e. bkflow
		// registering its attributes again on every start: a no-op.
		return true
	}
	return false
}

func tagsToAttrs(tags []tag.Tag) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(tags))
	for _, t := range tags {
		if t == nil {
			continue
		}
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	return attrs
}

// levelHandler drops records below min and forwards the rest to next.
type levelHandler struct {
	min  slog.Leveler
	next slog.Handler
}

func (h levelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min.Level() && h.next.Enabled(ctx, level)
}

func (h levelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.next.Handle(ctx, r)
}

func (h levelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelHandler{min: h.min, next: h.next.WithAttrs(attrs)}
}

func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{min: h.min, next: h.next.WithGroup(name)}
}
