package temporaldev

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// bkflowSearchAttributes are the custom search attributes bkflow registers.
func bkflowSearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		"BkflowSpaceId":    enumspb.INDEXED_VALUE_TYPE_INT,
		"BkflowTemplateId": enumspb.INDEXED_VALUE_TYPE_INT,
		"BkflowTaskId":     enumspb.INDEXED_VALUE_TYPE_INT,
		"BkflowCreator":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"BkflowState":      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

func TestSearchAttributes(t *testing.T) {
	s, _ := startServer(t, Options{UIPort: NoUI})
	c, _ := dial(t, s)
	ctx := t.Context()

	sas := bkflowSearchAttributes()
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        DefaultNamespace,
		SearchAttributes: sas,
	})
	require.NoError(t, err)
	// Registering again is a no-op, as bkflow does on every start.
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        DefaultNamespace,
		SearchAttributes: sas,
	})
	require.NoError(t, err)

	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{
		Namespace: DefaultNamespace,
	})
	require.NoError(t, err)
	for name, typ := range sas {
		require.Equal(t, typ, list.GetCustomAttributes()[name], name)
	}

	startWorker(t, c)
	attrs := temporal.NewSearchAttributes(
		temporal.NewSearchAttributeKeyInt64("BkflowSpaceId").ValueSet(7),
		temporal.NewSearchAttributeKeyInt64("BkflowTemplateId").ValueSet(11),
		temporal.NewSearchAttributeKeyInt64("BkflowTaskId").ValueSet(42),
		temporal.NewSearchAttributeKeyKeyword("BkflowCreator").ValueSet("alice"),
		temporal.NewSearchAttributeKeyKeyword("BkflowState").ValueSet("RUNNING"),
	)
	const id = "sa-wf"
	// Each service refreshes its namespace cache periodically, so the
	// frontend may reject the new attributes for a moment. A visibility
	// query naming them fails until the frontend knows them: poll that.
	begin := time.Now()
	require.NoError(t, eventually(ctx, 15*time.Second, func() error {
		_, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: DefaultNamespace,
			Query:     "BkflowSpaceId = 0 AND BkflowTemplateId = 0 AND BkflowTaskId = 0 AND BkflowCreator = '' AND BkflowState = ''",
		})
		return err
	}))
	t.Logf("search attributes usable after %v", time.Since(begin))
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: testTaskQueue, TypedSearchAttributes: attrs,
	}, waitWorkflowName)
	require.NoError(t, err)

	begin = time.Now()
	require.NoError(t, eventually(ctx, 15*time.Second, func() error {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: DefaultNamespace,
			Query:     "BkflowSpaceId = 7 AND BkflowCreator = 'alice'",
		})
		if err != nil {
			return err
		}
		if n := len(resp.GetExecutions()); n != 1 || resp.GetExecutions()[0].GetExecution().GetWorkflowId() != id {
			return fmt.Errorf("found %d executions", n)
		}
		return nil
	}))
	t.Logf("visible via ListWorkflow after %v", time.Since(begin))

	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: DefaultNamespace,
		Query:     "BkflowSpaceId = 8",
	})
	require.NoError(t, err)
	require.Empty(t, resp.GetExecutions())

	out, err := signalAndGet(ctx, c, id)
	require.NoError(t, err)
	require.Equal(t, "done", out)
}
