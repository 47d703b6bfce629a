package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/internal/temporalclient"
)

// TestReplayRecordedHistories replays histories recorded from the end-to-end
// tests (refresh them with BKFLOW_RECORD_HISTORIES, see internal/stacktest):
// a change to the interpreter that would break running tasks' determinism
// fails here. Such a change must go behind workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter: temporalclient.DataConverter(),
			})
			require.NoError(t, err)
			r.RegisterWorkflowWithOptions(Task, workflow.RegisterOptions{Name: TaskWorkflow})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
