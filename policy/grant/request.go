package grant

import (
	"fmt"

	"github.com/bkflow/bkflow/policy"
)

// Request is the body of BlueKing IAM's open authorization APIs:
// /api/v1/open/authorization/{instance,batch_instance,path,batch_path}/.
type Request struct {
	Asynchronous bool             `json:"asynchronous"`
	Operate      string           `json:"operate"`
	System       string           `json:"system"`
	Action       *ActionRef       `json:"action,omitempty"`
	Actions      []ActionRef      `json:"actions,omitempty"`
	Subject      policy.Subject   `json:"subject"`
	Resources    []ResourceSelect `json:"resources"`
	// ExpiredAt is unix seconds; 0 means permanent (4102444800).
	ExpiredAt int64 `json:"expired_at,omitempty"`
}

// ActionRef names an action.
type ActionRef struct {
	ID string `json:"id"`
}

// ResourceSelect is one selected resource: an instance (id), several
// (instances), a path or several paths.
type ResourceSelect struct {
	System    string   `json:"system"`
	Type      string   `json:"type"`
	ID        string   `json:"id,omitempty"`
	Name      string   `json:"name,omitempty"`
	Instances []Node   `json:"instances,omitempty"`
	Path      []Node   `json:"path,omitempty"`
	Paths     [][]Node `json:"paths,omitempty"`
}

// Kinds of open authorization request.
const (
	KindInstance      = "instance"
	KindBatchInstance = "batch_instance"
	KindPath          = "path"
	KindBatchPath     = "batch_path"
)

// Validate checks the request for kind and names the first bad field.
func (r Request) Validate(kind string) error {
	if r.Operate != "grant" && r.Operate != "revoke" {
		return fmt.Errorf("operate must be grant or revoke, got %q", r.Operate)
	}
	if r.System == "" {
		return fmt.Errorf("system is required")
	}
	batch := kind == KindBatchInstance || kind == KindBatchPath
	if batch && len(r.Actions) == 0 {
		return fmt.Errorf("actions is required")
	}
	if !batch && (r.Action == nil || r.Action.ID == "") {
		return fmt.Errorf("action.id is required")
	}
	for i, a := range r.Actions {
		if a.ID == "" {
			return fmt.Errorf("actions[%d].id is required", i)
		}
	}
	if r.Subject.Type != policy.SubjectUser && r.Subject.Type != policy.SubjectGroup {
		return fmt.Errorf("subject.type must be user or group, got %q", r.Subject.Type)
	}
	if r.Subject.ID == "" {
		return fmt.Errorf("subject.id is required")
	}
	if r.ExpiredAt < 0 {
		return fmt.Errorf("expired_at must be unix seconds")
	}
	if len(r.Resources) == 0 {
		return fmt.Errorf("resources is required")
	}
	for i, res := range r.Resources {
		p := fmt.Sprintf("resources[%d]", i)
		if res.System == "" || res.Type == "" {
			return fmt.Errorf("%s.system and %s.type are required", p, p)
		}
		switch kind {
		case KindInstance:
			if res.ID == "" {
				return fmt.Errorf("%s.id is required", p)
			}
		case KindBatchInstance:
			if len(res.Instances) == 0 {
				return fmt.Errorf("%s.instances is required", p)
			}
			for j, n := range res.Instances {
				if n.ID == "" {
					return fmt.Errorf("%s.instances[%d].id is required", p, j)
				}
			}
		case KindPath:
			if err := checkPath(p+".path", res.Path); err != nil {
				return err
			}
		case KindBatchPath:
			if len(res.Paths) == 0 {
				return fmt.Errorf("%s.paths is required", p)
			}
			for j, path := range res.Paths {
				if err := checkPath(fmt.Sprintf("%s.paths[%d]", p, j), path); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unknown kind %q", kind)
		}
	}
	return nil
}

func checkPath(p string, path []Node) error {
	if len(path) == 0 {
		return fmt.Errorf("%s is required", p)
	}
	for i, n := range path {
		if n.Type == "" {
			return fmt.Errorf("%s[%d].type is required", p, i)
		}
		if n.ID == "" {
			return fmt.Errorf("%s[%d].id is required", p, i)
		}
	}
	if len(path) == 1 && path[0].ID == "*" {
		return fmt.Errorf("%s: a single node cannot be *", p)
	}
	return nil
}

// ActionIDs lists the request's actions.
func (r Request) ActionIDs() []string {
	if r.Action != nil {
		return []string{r.Action.ID}
	}
	out := make([]string, len(r.Actions))
	for i, a := range r.Actions {
		out[i] = a.ID
	}
	return out
}

// SelectedPaths lists the selections of res as paths: an instance is a one-node
// path of its own type.
func (res ResourceSelect) SelectedPaths() [][]Node {
	var out [][]Node
	if res.ID != "" {
		out = append(out, []Node{{SystemID: res.System, Type: res.Type, ID: res.ID, Name: res.Name}})
	}
	for _, n := range res.Instances {
		if n.Type == "" {
			n.Type = res.Type
		}
		out = append(out, []Node{n})
	}
	if len(res.Path) > 0 {
		out = append(out, res.Path)
	}
	out = append(out, res.Paths...)
	return out
}
