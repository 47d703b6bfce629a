package grant

import (
	"bytes"
	"encoding/json"
)

// AnyID is the id of a path node meaning "any instance of this type".
const AnyID = "*"

// Node is one node of a selected path: an instance of a resource type.
// When decoding, "system" is accepted as well as "system_id" (the open
// authorization API's path nodes use "system", and may leave it out).
type Node struct {
	SystemID string `json:"system_id"`
	Type     string `json:"type"`
	ID       string `json:"id"`
	Name     string `json:"name"`
}

// UnmarshalJSON reads a node, taking "system" when "system_id" is absent.
func (n *Node) UnmarshalJSON(b []byte) error {
	var w struct {
		SystemID *string `json:"system_id"`
		System   string  `json:"system"`
		Type     string  `json:"type"`
		ID       string  `json:"id"`
		Name     string  `json:"name"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*n = Node{SystemID: w.System, Type: w.Type, ID: w.ID, Name: w.Name}
	if w.SystemID != nil {
		n.SystemID = *w.SystemID
	}
	return nil
}

// TypeRef names a resource type in a view's chain.
type TypeRef struct {
	SystemID string `json:"system_id"`
	ID       string `json:"id"`
}

// View is an instance view (instance selection) as an action references
// it: the chain of resource types the UI walks, and the action's
// ignore_iam_path flag for it.
type View struct {
	ID            string    `json:"id"`
	Chain         []TypeRef `json:"resource_type_chain"`
	IgnoreIAMPath bool      `json:"ignore_iam_path"`
}

// ResourceTypeRef is one of an action's related resource types.
type ResourceTypeRef struct {
	SystemID string `json:"system_id"`
	Type     string `json:"type"`
}

// Instance is one instance entry of a condition item: paths picked in
// the views. Each path runs from a view's root to the picked node; a
// trailing node with id "*" means any instance of its type.
type Instance struct {
	Type  string   `json:"type"`
	Paths [][]Node `json:"path"`
}

// Attribute is an attribute condition: the attribute id and the accepted
// values (their ids).
type Attribute struct {
	ID     string      `json:"id"`
	Name   string      `json:"name,omitempty"`
	Values []AttrValue `json:"values"`
}

// AttrValue is one accepted attribute value. ID is a string, a bool or a
// number; decoding keeps numbers as json.Number, so an integer stays an
// integer and a float a float, as in Python.
type AttrValue struct {
	ID   any    `json:"id"`
	Name string `json:"name"`
}

// UnmarshalJSON reads a value, keeping a numeric id as json.Number.
func (v *AttrValue) UnmarshalJSON(b []byte) error {
	var w struct {
		ID   any    `json:"id"`
		Name string `json:"name"`
	}
	if err := decodeNumbers(b, &w); err != nil {
		return err
	}
	*v = AttrValue(w)
	return nil
}

// ConditionItem is one alternative of a related resource type's
// condition: instances (OR-ed) AND attributes (AND-ed).
type ConditionItem struct {
	Instances  []Instance  `json:"instances"`
	Attributes []Attribute `json:"attributes"`
}

// RelatedResourceType is the selection for one of an action's resource
// types. An empty Condition means any instance ("unlimited").
type RelatedResourceType struct {
	SystemID  string          `json:"system_id"`
	Type      string          `json:"type"`
	Condition []ConditionItem `json:"condition"`
}

// ResourceGroup is one alternative of a policy: a selection for each of
// the action's resource types, in the action's order, and the
// environment conditions that must also hold.
type ResourceGroup struct {
	RelatedResourceTypes []RelatedResourceType `json:"related_resource_types"`
	Environments         []Environment         `json:"environments"`
}

// Environment is an environment condition of a resource group. Only
// "period_daily" exists.
type Environment struct {
	Type      string         `json:"type"`
	Condition []EnvCondition `json:"condition"`
}

// EnvCondition is one part of a period_daily environment: "tz" (one time
// zone name), "hms" (two "HH:MM:SS" values, from and to) or "weekday"
// (integers 0..6).
type EnvCondition struct {
	Type   string     `json:"type"`
	Values []EnvValue `json:"values"`
}

// EnvValue is one value of an environment condition.
type EnvValue struct {
	Name  string `json:"name,omitempty"`
	Value any    `json:"value"`
}

// UnmarshalJSON reads a value, keeping a number as json.Number.
func (v *EnvValue) UnmarshalJSON(b []byte) error {
	var w struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	}
	if err := decodeNumbers(b, &w); err != nil {
		return err
	}
	*v = EnvValue(w)
	return nil
}

// decodeNumbers decodes b into v keeping numbers as json.Number, so an
// integer stays an integer and a float a float, as in Python.
func decodeNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
