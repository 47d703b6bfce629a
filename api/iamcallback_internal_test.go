package api

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIAMCallbackDisabled: without iam-token every call is refused, even
// one with an empty password.
func TestIAMCallbackDisabled(t *testing.T) {
	h := &iamCallback{log: slog.New(slog.DiscardHandler)}
	for _, auth := range []string{"", "Basic " + base64.StdEncoding.EncodeToString([]byte("bk_iam:"))} {
		req := httptest.NewRequest(http.MethodPost, "/iam/resources/", strings.NewReader(`{"type":"task","method":"list_attr"}`))
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.serve(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		var got map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		require.Equal(t, map[string]any{"code": float64(401), "result": false, "data": nil,
			"message": "the IAM callback is disabled: set iam-token (BKFLOW_IAM_TOKEN)"}, got)
	}
}
