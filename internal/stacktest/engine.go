package stacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// Space drives the tasks of one space over the HTTP API, as the user
// "admin" of the dev app.
type Space struct {
	t    testing.TB
	S    *Stack
	Auth string
	ID   int64
}

// Envelope is BKFlow's response wrapper as a client decodes it.
type Envelope struct {
	Result  bool            `json:"result"`
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	TraceID string          `json:"trace_id"`
}

// Decode decodes a response's envelope.
func Decode(t testing.TB, r Response) Envelope {
	t.Helper()
	var e Envelope
	require.NoError(t, json.Unmarshal(r.Body, &e), "body: %s", r.Body)
	return e
}

// NewSpace creates a space with a unique name.
func NewSpace(t testing.TB, s *Stack) *Space {
	t.Helper()
	auth := s.AuthHeader("admin")
	r := s.Do(http.MethodPost, "/create_space", auth, map[string]any{
		"name": fmt.Sprintf("s%d", time.Now().UnixNano()%1e12), "platform_url": "http://example.com"})
	env := Decode(t, r)
	require.True(t, env.Result, "create_space: %s", r.Body)
	var d struct {
		Space struct {
			ID int64 `json:"id"`
		} `json:"space"`
	}
	require.NoError(t, json.Unmarshal(env.Data, &d))
	return &Space{t: t, S: s, Auth: auth, ID: d.Space.ID}
}

// Task is a created task and the map from the tree's node ids to the
// task's (regenerated) ones.
type Task struct {
	sp    *Space
	ID    int64
	Nodes map[string]string
}

// Create creates a task from tree with constant overrides.
func (sp *Space) Create(tree *pipelinetest.Tree, constants map[string]any) *Task {
	sp.t.Helper()
	r := sp.S.Do(http.MethodPost, fmt.Sprintf("/space/%d/create_task_without_template/", sp.ID), sp.Auth,
		map[string]any{"creator": "admin", "name": "e2e", "pipeline_tree": tree.Map(), "constants": constants})
	env := Decode(sp.t, r)
	require.True(sp.t, env.Result, "create task: %s", r.Body)
	var created struct {
		ID int64 `json:"id"`
	}
	require.NoError(sp.t, json.Unmarshal(env.Data, &created))
	tk := &Task{sp: sp, ID: created.ID, Nodes: map[string]string{}}
	var detail struct {
		PipelineTree struct {
			StartEvent map[string]any            `json:"start_event"`
			EndEvent   map[string]any            `json:"end_event"`
			Activities map[string]map[string]any `json:"activities"`
			Gateways   map[string]map[string]any `json:"gateways"`
		} `json:"pipeline_tree"`
	}
	require.NoError(sp.t, json.Unmarshal(tk.Get("get_task_detail"), &detail))
	for id, n := range detail.PipelineTree.Activities {
		tk.Nodes[n["template_node_id"].(string)] = id
	}
	for id, n := range detail.PipelineTree.Gateways {
		tk.Nodes[n["template_node_id"].(string)] = id
	}
	tk.Nodes["start"] = detail.PipelineTree.StartEvent["id"].(string)
	tk.Nodes["end"] = detail.PipelineTree.EndEvent["id"].(string)
	return tk
}

// Get calls a task GET endpoint ("get_task_detail", "node/<id>/...") and
// returns the envelope's data.
func (tk *Task) Get(endpoint string) json.RawMessage {
	tk.sp.t.Helper()
	r := tk.sp.S.Do(http.MethodGet, fmt.Sprintf("/space/%d/task/%d/%s/", tk.sp.ID, tk.ID, endpoint), tk.sp.Auth, nil)
	env := Decode(tk.sp.t, r)
	require.True(tk.sp.t, env.Result, "%s: %s", endpoint, r.Body)
	return env.Data
}

// Operate runs a task operation and returns the envelope.
func (tk *Task) Operate(op string) Envelope {
	tk.sp.t.Helper()
	r := tk.sp.S.Do(http.MethodPost, fmt.Sprintf("/space/%d/task/%d/operate_task/%s/", tk.sp.ID, tk.ID, op), tk.sp.Auth,
		map[string]any{"operator": "admin"})
	return Decode(tk.sp.t, r)
}

// Node operates a node (by its id in the tree) and returns the envelope.
func (tk *Task) Node(id, op string, body map[string]any) Envelope {
	tk.sp.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["operator"] = "admin"
	r := tk.sp.S.Do(http.MethodPost, fmt.Sprintf("/space/%d/task/%d/node/%s/operate_node/%s/", tk.sp.ID, tk.ID,
		tk.Nodes[id], op), tk.sp.Auth, body)
	return Decode(tk.sp.t, r)
}

// StateTree is get_task_states' data.
type StateTree struct {
	ID       string               `json:"id"`
	State    string               `json:"state"`
	Children map[string]NodeState `json:"children"`
}

// NodeState is one node of a state tree.
type NodeState struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	Version      string `json:"version"`
	Loop         int    `json:"loop"`
	Retry        int    `json:"retry"`
	Skip         bool   `json:"skip"`
	ErrorIgnored bool   `json:"error_ignored"`
	ScheduleType string `json:"schedule_type"`
}

// States returns the task's state tree.
func (tk *Task) States() StateTree {
	tk.sp.t.Helper()
	var st StateTree
	require.NoError(tk.sp.t, json.Unmarshal(tk.Get("get_task_states"), &st))
	return st
}

// tryStates is States that also reports a transient refusal (code 503:
// no worker answered yet) instead of failing the test.
func (tk *Task) tryStates() (StateTree, string) {
	tk.sp.t.Helper()
	r := tk.sp.S.Do(http.MethodGet, fmt.Sprintf("/space/%d/task/%d/get_task_states/", tk.sp.ID, tk.ID), tk.sp.Auth, nil)
	env := Decode(tk.sp.t, r)
	if !env.Result && env.Code == http.StatusServiceUnavailable {
		return StateTree{}, env.Message
	}
	require.True(tk.sp.t, env.Result, "get_task_states: %s", r.Body)
	var st StateTree
	require.NoError(tk.sp.t, json.Unmarshal(env.Data, &st))
	return st, ""
}

// State returns a node's state (empty when not reached).
func (tk *Task) State(id string) NodeState { return tk.States().Children[tk.Nodes[id]] }

// WaitTimeout bounds WaitFor.
const WaitTimeout = 90 * time.Second

// WaitFor polls the state tree until cond holds.
func (tk *Task) WaitFor(what string, cond func(st StateTree) bool) StateTree {
	tk.sp.t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		st, unavailable := tk.tryStates()
		if unavailable == "" && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			tk.sp.t.Fatalf("task %d: timed out waiting for %s; states: %+v", tk.ID, what, st)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// WaitTask waits for the task's state.
func (tk *Task) WaitTask(state string) StateTree {
	tk.sp.t.Helper()
	return tk.WaitFor("task "+state, func(st StateTree) bool { return st.State == state })
}

// WaitNode waits for a node's state.
func (tk *Task) WaitNode(id, state string) NodeState {
	tk.sp.t.Helper()
	st := tk.WaitFor(id+" "+state, func(st StateTree) bool { return st.Children[tk.Nodes[id]].State == state })
	return st.Children[tk.Nodes[id]]
}

// NodeDetail is get_task_node_detail's data.
type NodeDetail struct {
	State     string           `json:"state"`
	Loop      int              `json:"loop"`
	Retry     int              `json:"retry"`
	Inputs    map[string]any   `json:"inputs"`
	Outputs   []map[string]any `json:"outputs"`
	ExData    string           `json:"ex_data"`
	Histories []struct {
		State  string         `json:"state"`
		ExData string         `json:"ex_data"`
		Inputs map[string]any `json:"inputs"`
	} `json:"histories"`
}

// Detail returns a node's detail.
func (tk *Task) Detail(id string) NodeDetail {
	tk.sp.t.Helper()
	var d NodeDetail
	require.NoError(tk.sp.t, json.Unmarshal(tk.Get("node/"+tk.Nodes[id]+"/get_task_node_detail"), &d))
	return d
}

// Output returns a node output's value from its detail.
func (d NodeDetail) Output(key string) any {
	for _, o := range d.Outputs {
		if o["key"] == key {
			return o["value"]
		}
	}
	return nil
}

// OK asserts an operation was accepted.
func OK(t testing.TB, e Envelope) {
	t.Helper()
	require.True(t, e.Result, "refused: %s (code %d)", e.Message, e.Code)
}

// Refused asserts an operation was refused with message.
func Refused(t testing.TB, e Envelope, message string) {
	t.Helper()
	require.False(t, e.Result)
	require.Equal(t, "task operation error: "+message, e.Message)
}

// Space returns the space the task belongs to.
func (tk *Task) Space() *Space { return tk.sp }
