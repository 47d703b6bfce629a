package api

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/bkflow/bkflow/internal/telemetry"
)

// envelope is BKFlow's response wrapper.
type envelope struct {
	Result  bool   `json:"result"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
	TraceID string `json:"trace_id,omitempty"`
}

// listResult is a handler result that BKFlow renders with the total count
// at the envelope's top level ({"result", "data": [...], "count", ...}), as
// get_template_list and list_plugins do.
type listResult struct {
	Data  any `json:"data"`
	Count int `json:"count"`
}

// countedEnvelope is the envelope of a listResult.
type countedEnvelope struct {
	Result  bool   `json:"result"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
	Count   int    `json:"count"`
	TraceID string `json:"trace_id,omitempty"`
}

// handler is an endpoint: it returns the envelope's data or an error.
type handler func(r *http.Request) (any, error)

// adapter runs handlers and renders their results as envelopes. Internal
// causes are logged here, once, with the request and trace ids.
type adapter struct {
	log *slog.Logger
}

func (a adapter) wrap(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := h(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if l, ok := data.(listResult); ok {
			writeJSON(w, http.StatusOK, countedEnvelope{Result: true, Code: codeOK, Data: l.Data, Count: l.Count,
				TraceID: telemetry.TraceID(r.Context())})
			return
		}
		writeJSON(w, http.StatusOK, envelope{Result: true, Code: codeOK, Data: data, TraceID: telemetry.TraceID(r.Context())})
	}
}

func (a adapter) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := asAPIError(err)
	if e.Err != nil {
		a.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", e.Err)
	}
	writeJSON(w, e.Status, envelope{Result: false, Code: e.Code, Message: e.Message, Data: e.Data, TraceID: telemetry.TraceID(r.Context())})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing else to do
}
