package stacktest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/bkflow/bkflow/internal/temporalclient"
	"github.com/bkflow/bkflow/workflows"
)

// RecordEnv names the directory RecordHistory writes to; unset, it does
// nothing. Run the end-to-end tests with it set to refresh the replay tests'
// histories (workflows/testdata/histories).
const RecordEnv = "BKFLOW_RECORD_HISTORIES"

// RecordHistory saves the first run's history of a closed task's workflow as
// <name>.json when BKFLOW_RECORD_HISTORIES is set.
func RecordHistory(t testing.TB, s *Stack, taskID int64, name string) {
	t.Helper()
	dir := os.Getenv(RecordEnv)
	if dir == "" {
		return
	}
	c, err := client.Dial(client.Options{HostPort: s.Temporal, DataConverter: temporalclient.DataConverter()})
	if err != nil {
		t.Fatalf("record history: %v", err)
	}
	defer c.Close()
	ctx := context.Background()
	id := workflows.WorkflowID(taskID)
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		t.Fatalf("record history: task %d did not finish: %v", taskID, err)
	}
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatalf("record history: %v", err)
	}
	first := desc.GetWorkflowExecutionInfo().GetFirstRunId()
	it := c.GetWorkflowHistory(ctx, id, first, false, 0)
	var h historypb.History
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("record history: %v", err)
		}
		h.Events = append(h.Events, e)
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatalf("record history: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(raw, '\n'), 0o644); err != nil {
		t.Fatalf("record history: %v", err)
	}
}
