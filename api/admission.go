package api

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/bkflow/bkflow/policy/admission"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// admit runs operators' admission rules (--policy-dir) on a tree about to
// be saved, turned into a task or run; any deny message refuses the request
// before anything is written. user defaults to the calling user.
func admit(ctx context.Context, c *admission.Checker, action, user string, tpl, task *admission.Ref, tree pipeline.Tree) error {
	if c == nil {
		return nil
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return errInternal(err)
	}
	return admitJSON(ctx, c, action, user, tpl, task, raw)
}

func admitJSON(ctx context.Context, c *admission.Checker, action, user string, tpl, task *admission.Ref, tree json.RawMessage) error {
	if c == nil {
		return nil
	}
	if user == "" {
		user = callerFrom(ctx).Username
	}
	sp := spaceFrom(ctx)
	if len(tree) == 0 {
		tree = json.RawMessage("null")
	}
	msgs, err := c.Check(ctx, admission.Input{Action: action, Space: admission.Ref{ID: sp.ID, Name: sp.Name, AppCode: sp.AppCode},
		User: user, Template: tpl, Task: task, PipelineTree: tree})
	if err != nil {
		return refusal("admission denied: %v", err)
	}
	if len(msgs) > 0 {
		return refusal("admission denied: %s", strings.Join(msgs, "; "))
	}
	return nil
}
