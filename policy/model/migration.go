package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Migration is the iam_migration JSON that registers a model (iam.md §1.7).
type Migration struct {
	SystemID   string      `json:"system_id"`
	Operations []Operation `json:"operations"`
}

// Operation is one step of a migration.
type Operation struct {
	Operation string          `json:"operation"`
	Data      json.RawMessage `json:"data"`
}

var configNames = map[string]bool{"action_groups": true, "resource_creator_actions": true, "common_actions": true,
	"feature_shield_rules": true, "custom_frontend_settings": true}

// Load reads a migration, applies it to an empty model and validates the
// result.
func Load(data []byte) (*Model, error) {
	var m Migration
	if err := strictDecode(data, &m); err != nil {
		return nil, fmt.Errorf("migration: %w", err)
	}
	out, err := Apply(nil, m)
	if err != nil {
		return nil, err
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

func strictDecode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// Apply runs m's operations in order on a copy of base (nil: empty) and
// returns the new model. add_ of an existing id, and update_ or delete_ of a
// missing one, are errors naming the operation.
func Apply(base *Model, m Migration) (*Model, error) {
	out := &Model{}
	if base != nil {
		b, err := json.Marshal(base)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, out); err != nil {
			return nil, err
		}
	}
	if m.SystemID == "" {
		return nil, fmt.Errorf("migration: system_id is required")
	}
	for i, op := range m.Operations {
		if err := apply(out, m.SystemID, op); err != nil {
			return nil, fmt.Errorf("operations[%d] (%s): %w", i, op.Operation, err)
		}
	}
	if out.System.ID == "" {
		out.System.ID = m.SystemID
	}
	if out.System.ID != m.SystemID {
		return nil, fmt.Errorf("migration: system_id %q differs from the system's id %q", m.SystemID, out.System.ID)
	}
	return out, nil
}

func apply(m *Model, systemID string, op Operation) error {
	verb, kind, ok := strings.Cut(op.Operation, "_")
	if !ok || (verb != "add" && verb != "update" && verb != "delete" && verb != "upsert") {
		return fmt.Errorf("unknown operation")
	}
	if configNames[kind] {
		if verb == "delete" {
			return fmt.Errorf("configs cannot be deleted")
		}
		if m.Configs == nil {
			m.Configs = map[string]json.RawMessage{}
		}
		m.Configs[kind] = append(json.RawMessage(nil), op.Data...)
		return nil
	}
	switch kind {
	case "system":
		var s System
		if err := strictDecode(op.Data, &s); err != nil {
			return err
		}
		exists := m.System.ID != ""
		if err := check(verb, exists, s.ID); err != nil {
			return err
		}
		if verb == "delete" {
			m.System = System{}
			return nil
		}
		m.System = s
		return nil
	case "resource_type":
		return upsert(verb, op.Data, &m.ResourceTypes, func(x ResourceType) string { return x.ID })
	case "instance_selection":
		return upsert(verb, op.Data, &m.InstanceSelections, func(x InstanceSelection) string { return x.ID })
	case "action":
		return upsert(verb, op.Data, &m.Actions, func(x Action) string { return x.ID })
	}
	return fmt.Errorf("unknown operation")
}

func check(verb string, exists bool, id string) error {
	switch {
	case verb == "add" && exists:
		return fmt.Errorf("%q already exists", id)
	case (verb == "update" || verb == "delete") && !exists:
		return fmt.Errorf("%q does not exist", id)
	}
	return nil
}

func upsert[T any](verb string, data []byte, list *[]T, id func(T) string) error {
	var x T
	if err := strictDecode(data, &x); err != nil {
		return err
	}
	at := -1
	for i, y := range *list {
		if id(y) == id(x) {
			at = i
		}
	}
	if err := check(verb, at >= 0, id(x)); err != nil {
		return err
	}
	switch {
	case verb == "delete":
		*list = append((*list)[:at], (*list)[at+1:]...)
	case at >= 0:
		(*list)[at] = x
	default:
		*list = append(*list, x)
	}
	return nil
}
