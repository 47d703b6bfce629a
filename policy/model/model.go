// Package model is a BlueKing IAM system model (iam.md §1): the system, its
// resource types, instance selections (instance views) and actions, read
// from IAM's migration JSON and validated by IAM's rules, so bkflow's own
// model can also be registered with a real BlueKing IAM and other systems
// can register theirs with bkflow.
package model

import "encoding/json"

// Ref names an object of a system.
type Ref struct {
	SystemID string `json:"system_id"`
	ID       string `json:"id"`
}

// ProviderConfig is where IAM calls a system back.
type ProviderConfig struct {
	Host    string `json:"host,omitempty"`
	Auth    string `json:"auth,omitempty"`
	Healthz string `json:"healthz,omitempty"`
	Path    string `json:"path,omitempty"`
}

// System is the registered system.
type System struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	NameEn         string         `json:"name_en"`
	Description    string         `json:"description,omitempty"`
	DescriptionEn  string         `json:"description_en,omitempty"`
	Clients        string         `json:"clients"`
	ProviderConfig ProviderConfig `json:"provider_config"`
}

// ResourceType is a kind of instance the system owns.
type ResourceType struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	NameEn         string         `json:"name_en"`
	Description    string         `json:"description,omitempty"`
	DescriptionEn  string         `json:"description_en,omitempty"`
	Sensitivity    int            `json:"sensitivity,omitempty"`
	Parents        []Ref          `json:"parents"`
	ProviderConfig ProviderConfig `json:"provider_config"`
	Version        int            `json:"version,omitempty"`
}

// InstanceSelection is an instance view: the chain of types a user walks
// to pick instances.
type InstanceSelection struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	NameEn            string `json:"name_en"`
	IsDynamic         bool   `json:"is_dynamic,omitempty"`
	ResourceTypeChain []Ref  `json:"resource_type_chain"`
}

// SelectionRef references an instance selection from an action.
type SelectionRef struct {
	SystemID      string `json:"system_id"`
	ID            string `json:"id"`
	IgnoreIAMPath bool   `json:"ignore_iam_path,omitempty"`
}

// RelatedResourceType is one resource an action applies to.
type RelatedResourceType struct {
	SystemID                  string         `json:"system_id"`
	ID                        string         `json:"id"`
	NameAlias                 string         `json:"name_alias,omitempty"`
	NameAliasEn               string         `json:"name_alias_en,omitempty"`
	SelectionMode             string         `json:"selection_mode,omitempty"`
	RelatedInstanceSelections []SelectionRef `json:"related_instance_selections"`
}

// Environment is an environment condition an action's policies may carry.
type Environment struct {
	Type string `json:"type"`
}

// Action is something a subject may be allowed to do.
type Action struct {
	ID                   string                `json:"id"`
	Name                 string                `json:"name"`
	NameEn               string                `json:"name_en"`
	Description          string                `json:"description,omitempty"`
	DescriptionEn        string                `json:"description_en,omitempty"`
	Sensitivity          int                   `json:"sensitivity,omitempty"`
	AuthType             string                `json:"auth_type,omitempty"`
	Type                 string                `json:"type,omitempty"`
	Hidden               bool                  `json:"hidden,omitempty"`
	RelatedResourceTypes []RelatedResourceType `json:"related_resource_types"`
	RelatedActions       []string              `json:"related_actions,omitempty"`
	RelatedEnvironments  []Environment         `json:"related_environments,omitempty"`
	Version              int                   `json:"version,omitempty"`
}

// Model is a whole system model.
type Model struct {
	System             System                     `json:"system"`
	ResourceTypes      []ResourceType             `json:"resource_types"`
	InstanceSelections []InstanceSelection        `json:"instance_selections"`
	Actions            []Action                   `json:"actions"`
	Configs            map[string]json.RawMessage `json:"configs,omitempty"`
}

// Action returns the action id.
func (m *Model) Action(id string) (*Action, bool) {
	for i := range m.Actions {
		if m.Actions[i].ID == id {
			return &m.Actions[i], true
		}
	}
	return nil, false
}

// ResourceType returns the resource type id.
func (m *Model) ResourceType(id string) (*ResourceType, bool) {
	for i := range m.ResourceTypes {
		if m.ResourceTypes[i].ID == id {
			return &m.ResourceTypes[i], true
		}
	}
	return nil, false
}

// InstanceSelection returns the instance selection id.
func (m *Model) InstanceSelection(id string) (*InstanceSelection, bool) {
	for i := range m.InstanceSelections {
		if m.InstanceSelections[i].ID == id {
			return &m.InstanceSelections[i], true
		}
	}
	return nil, false
}

// View is an instance selection as an action uses it: its chain and
// whether picking a leaf ignores the path.
type View struct {
	ID            string
	Chain         []Ref
	IgnoreIAMPath bool
}

// Views resolves the instance selections of the action's related resource
// type, in the action's order. Selections of other systems are skipped.
func (m *Model) Views(actionID, resourceTypeID string) ([]View, error) {
	a, ok := m.Action(actionID)
	if !ok {
		return nil, &NotFoundError{Kind: "action", ID: actionID}
	}
	for _, rt := range a.RelatedResourceTypes {
		if rt.ID != resourceTypeID {
			continue
		}
		var out []View
		for _, s := range rt.RelatedInstanceSelections {
			if s.SystemID != "" && s.SystemID != m.System.ID {
				continue
			}
			sel, ok := m.InstanceSelection(s.ID)
			if !ok {
				return nil, &NotFoundError{Kind: "instance selection", ID: s.ID}
			}
			out = append(out, View{ID: sel.ID, Chain: sel.ResourceTypeChain, IgnoreIAMPath: s.IgnoreIAMPath})
		}
		return out, nil
	}
	return nil, &NotFoundError{Kind: "related resource type of action " + actionID, ID: resourceTypeID}
}
