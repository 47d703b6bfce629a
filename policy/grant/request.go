package grant

import "fmt"

// Kind is which open authorization API a request was sent to
// (/api/v1/open/authorization/{kind}/).
type Kind string

// The open authorization APIs.
const (
	KindInstance      Kind = "instance"       // action + resources[{system,type,id,name}]
	KindBatchInstance Kind = "batch_instance" // actions + resources[{system,type,instances:[{id,name}]}]
	KindPath          Kind = "path"           // action + resources[{system,type,path:[node...]}]
	KindBatchPath     Kind = "batch_path"     // actions + resources[{system,type,paths:[[node...]...]}]
)

// Batch reports whether requests of kind k name their actions in
// "actions" rather than "action".
func (k Kind) Batch() bool { return k == KindBatchInstance || k == KindBatchPath }

// Operate says whether a request grants or revokes.
type Operate string

// The operations.
const (
	OperateGrant  Operate = "grant"
	OperateRevoke Operate = "revoke"
)

// Subject types a request may grant to.
const (
	SubjectUser  = "user"
	SubjectGroup = "group"
)

// Permanent is the expired_at of a policy that never expires
// (2100-01-01 UTC); a request's expired_at of 0 means it.
const Permanent int64 = 4102444800

// MaxSelections is the most instances or paths one resource of a batch
// request may carry (the API documents "at most 1000").
const MaxSelections = 1000

// Request is the body of an open authorization request. Kind is not part
// of the body: set it from the URL before calling Validate.
type Request struct {
	// Kind is the API the request was sent to. When empty, Validate
	// infers it from the body's shape.
	Kind Kind `json:"-"`
	// Asynchronous is accepted and ignored: the API only works
	// synchronously.
	Asynchronous bool        `json:"asynchronous"`
	Operate      Operate     `json:"operate"`
	System       string      `json:"system"`
	Action       *ActionRef  `json:"action,omitempty"`
	Actions      []ActionRef `json:"actions,omitempty"`
	Subject      Subject     `json:"subject"`
	// Resources may be empty for actions that have no resource type.
	Resources []Resource `json:"resources"`
	// ExpiredAt is unix seconds; 0 means Permanent. Validate checks the
	// range only: whether it is in the past is the caller's check, with
	// its clock.
	ExpiredAt int64 `json:"expired_at,omitempty"`
}

// ActionRef names an action.
type ActionRef struct {
	ID string `json:"id"`
}

// Subject is who is granted: a user or a user group.
type Subject struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Resource is what a request selects of one resource type, in the form
// of its Kind: an instance (ID, Name), several (Instances), a path (Path)
// or several (Paths). A path's nodes run from a view's root to the picked
// node; a trailing {"type":"x","id":"*"} means any x there.
type Resource struct {
	System    string   `json:"system"`
	Type      string   `json:"type"`
	ID        string   `json:"id,omitempty"`
	Name      string   `json:"name,omitempty"`
	Instances []Node   `json:"instances,omitempty"`
	Path      []Node   `json:"path,omitempty"`
	Paths     [][]Node `json:"paths,omitempty"`
}

// ActionIDs lists the request's actions: Action, or Actions.
func (r Request) ActionIDs() []string {
	if r.Action != nil {
		return []string{r.Action.ID}
	}
	ids := make([]string, len(r.Actions))
	for i, a := range r.Actions {
		ids[i] = a.ID
	}
	return ids
}

// SelectionCount is how many instances and paths the request selects: the
// open authorization API's statistics.instance_count.
func (r Request) SelectionCount() int {
	n := 0
	for _, res := range r.Resources {
		paths, _ := resourcePaths(res)
		n += len(paths)
	}
	return n
}

// Expiry returns ExpiredAt, or Permanent when it is 0.
func (r Request) Expiry() int64 {
	if r.ExpiredAt == 0 {
		return Permanent
	}
	return r.ExpiredAt
}

// kind returns Kind, or the kind the body's shape implies: the form of
// the first resource that has one, else instance or batch_instance by
// whether the actions come as "actions".
func (r Request) kind() Kind {
	if r.Kind != "" {
		return r.Kind
	}
	for _, res := range r.Resources {
		switch {
		case res.Paths != nil:
			return KindBatchPath
		case res.Path != nil:
			return KindPath
		case res.Instances != nil:
			return KindBatchInstance
		case res.ID != "":
			return KindInstance
		}
	}
	if r.Action == nil && r.Actions != nil {
		return KindBatchInstance
	}
	return KindInstance
}

// Validate checks the request against its Kind (see Request.Kind) and
// returns a *FieldError naming the first bad field, for example
// "resources[0].path[1].type is required". Beyond the API's own checks it
// rejects: a form other than the Kind's (an "id" in a path request),
// empty instances or paths (the SaaS would store "any instance"), the
// same resource type twice, a repeated action, an instance id "*", a path
// that is a single "*" node and a path that passes a node twice. Names
// are optional: BlueKing requires them (unless the id is "*"), but they
// are display text that no stored condition holds. Whether the resources
// fit the action's resource types and views is checked by Translate.
func (r Request) Validate() error {
	kind := r.kind()
	switch kind {
	case KindInstance, KindBatchInstance, KindPath, KindBatchPath:
	default:
		return fieldErr("kind", "is %q; want instance, batch_instance, path or batch_path", string(kind))
	}
	if r.Operate != OperateGrant && r.Operate != OperateRevoke {
		return fieldErr("operate", "must be grant or revoke, got %q", string(r.Operate))
	}
	if r.System == "" {
		return fieldErr("system", "is required")
	}
	if err := r.validateActions(kind); err != nil {
		return err
	}
	if r.Subject.Type != SubjectUser && r.Subject.Type != SubjectGroup {
		return fieldErr("subject.type", "must be user or group, got %q", r.Subject.Type)
	}
	if r.Subject.ID == "" {
		return fieldErr("subject.id", "is required")
	}
	if r.ExpiredAt < 0 || r.ExpiredAt > Permanent {
		return fieldErr("expired_at", "must be unix seconds between 0 (permanent) and %d", Permanent)
	}
	seen := map[ResourceTypeRef]int{}
	for i, res := range r.Resources {
		at := fmt.Sprintf("resources[%d]", i)
		if res.System == "" {
			return fieldErr(at+".system", "is required")
		}
		if res.Type == "" {
			return fieldErr(at+".type", "is required")
		}
		rt := ResourceTypeRef{SystemID: res.System, Type: res.Type}
		if j, dup := seen[rt]; dup {
			return fieldErr(at, "repeats resource type %s:%s of resources[%d]", res.System, res.Type, j)
		}
		seen[rt] = i
		if err := validateResource(kind, res, at); err != nil {
			return err
		}
	}
	return nil
}

func (r Request) validateActions(kind Kind) error {
	if !kind.Batch() {
		if r.Actions != nil {
			return fieldErr("actions", "is for the batch APIs; the %s API takes action", string(kind))
		}
		if r.Action == nil || r.Action.ID == "" {
			return fieldErr("action.id", "is required")
		}
		return nil
	}
	if r.Action != nil {
		return fieldErr("action", "is for the single APIs; the %s API takes actions", string(kind))
	}
	if len(r.Actions) == 0 {
		return fieldErr("actions", "must not be empty")
	}
	seen := map[string]bool{}
	for i, a := range r.Actions {
		if a.ID == "" {
			return fieldErr(fmt.Sprintf("actions[%d].id", i), "is required")
		}
		if seen[a.ID] {
			return fieldErr(fmt.Sprintf("actions[%d].id", i), "repeats %q", a.ID)
		}
		seen[a.ID] = true
	}
	return nil
}

func validateResource(kind Kind, res Resource, at string) error {
	// Only the kind's own form may be present.
	forms := []struct {
		name    string
		present bool
		kind    Kind
	}{
		{"id", res.ID != "", KindInstance},
		{"name", res.Name != "", KindInstance},
		{"instances", res.Instances != nil, KindBatchInstance},
		{"path", res.Path != nil, KindPath},
		{"paths", res.Paths != nil, KindBatchPath},
	}
	for _, f := range forms {
		if f.present && f.kind != kind {
			return fieldErr(at+"."+f.name, "is not accepted by the %s API", string(kind))
		}
	}
	switch kind {
	case KindInstance:
		return validateInstance(res.ID, at)
	case KindBatchInstance:
		if len(res.Instances) == 0 {
			return fieldErr(at+".instances", "must not be empty")
		}
		if len(res.Instances) > MaxSelections {
			return fieldErr(at+".instances", "holds %d instances; at most %d", len(res.Instances), MaxSelections)
		}
		for j, n := range res.Instances {
			nat := fmt.Sprintf("%s.instances[%d]", at, j)
			if n.Type != "" && n.Type != res.Type {
				return fieldErr(nat+".type", "is %q; the resource is of type %q", n.Type, res.Type)
			}
			if err := validateInstance(n.ID, nat); err != nil {
				return err
			}
		}
	case KindPath:
		return validatePath(res.Path, res.Type, at+".path")
	case KindBatchPath:
		if len(res.Paths) == 0 {
			return fieldErr(at+".paths", "must not be empty")
		}
		if len(res.Paths) > MaxSelections {
			return fieldErr(at+".paths", "holds %d paths; at most %d", len(res.Paths), MaxSelections)
		}
		for j, p := range res.Paths {
			if err := validatePath(p, res.Type, fmt.Sprintf("%s.paths[%d]", at, j)); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateInstance(id, at string) error {
	switch id {
	case "":
		return fieldErr(at+".id", "is required")
	case AnyID:
		return fieldErr(at+".id", "cannot be *; grant a path ending in * for any instance")
	}
	return nil
}

// validatePath checks one path for resource type typ: not empty, every
// node with a type and an id, not a lone "*",
// and no type,id twice among the nodes the translator turns into the
// _bk_iam_path_ (all but a final node of type typ).
func validatePath(p []Node, typ, at string) error {
	if len(p) == 0 {
		return fieldErr(at, "must not be empty")
	}
	for i, n := range p {
		nat := fmt.Sprintf("%s[%d]", at, i)
		if n.Type == "" {
			return fieldErr(nat+".type", "is required")
		}
		if n.ID == "" {
			return fieldErr(nat+".id", "is required")
		}
	}
	if len(p) == 1 && p[0].ID == AnyID {
		return fieldErr(at, "is a single * node; a path must start at an instance")
	}
	ancestors := p
	if p[len(p)-1].Type == typ {
		ancestors = p[:len(p)-1]
	}
	return noRepeatedNodes(ancestors, at)
}
