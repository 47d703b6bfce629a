package model

import (
	"fmt"
	"net/url"
	"regexp"
)

var idPattern = regexp.MustCompile(`^[a-z]+[a-z0-9_-]*$`)

// Quotas of one system, BlueKing IAM's defaults.
const (
	MaxResourceTypes      = 50
	MaxInstanceSelections = 50
	MaxActions            = 100
)

var (
	actionTypes    = map[string]bool{"": true, "create": true, "edit": true, "view": true, "delete": true, "list": true, "manage": true, "execute": true, "debug": true, "use": true}
	selectionModes = map[string]bool{"": true, "all": true, "instance": true, "attribute": true, "instance:paste": true}
)

// Validate checks every rule of iam.md §1 that needs no other system and
// reports all problems at once.
func (m *Model) Validate() error {
	v := &validator{m: m}
	v.system()
	types := map[string]bool{}
	names := map[string]map[string]bool{}
	v.quota("resource_types", len(m.ResourceTypes), MaxResourceTypes)
	for _, t := range m.ResourceTypes {
		p := fmt.Sprintf("resource_types[%s]", t.ID)
		v.id(p, t.ID, types)
		v.names(p, "resource type", t.Name, t.NameEn, names)
		if t.Sensitivity < 0 || t.Sensitivity > 9 {
			v.add(p+".sensitivity", "must be 0 to 9")
		}
		if t.ProviderConfig.Path == "" {
			v.add(p+".provider_config.path", "is required")
		}
	}
	for _, t := range m.ResourceTypes {
		for i, par := range t.Parents {
			v.ref(fmt.Sprintf("resource_types[%s].parents[%d]", t.ID, i), par, types, "resource type")
		}
	}
	selections := map[string]bool{}
	v.quota("instance_selections", len(m.InstanceSelections), MaxInstanceSelections)
	for _, s := range m.InstanceSelections {
		p := fmt.Sprintf("instance_selections[%s]", s.ID)
		v.id(p, s.ID, selections)
		v.names(p, "instance selection", s.Name, s.NameEn, names)
		if len(s.ResourceTypeChain) == 0 {
			v.add(p+".resource_type_chain", "must not be empty")
		}
		for i, r := range s.ResourceTypeChain {
			v.ref(fmt.Sprintf("%s.resource_type_chain[%d]", p, i), r, types, "resource type")
			if s.IsDynamic && r.SystemID != s.ResourceTypeChain[0].SystemID {
				v.add(fmt.Sprintf("%s.resource_type_chain[%d]", p, i), "a dynamic view's levels all belong to its root's system")
			}
		}
	}
	actions := map[string]bool{}
	v.quota("actions", len(m.Actions), MaxActions)
	for _, a := range m.Actions {
		v.id(fmt.Sprintf("actions[%s]", a.ID), a.ID, actions)
	}
	for _, a := range m.Actions {
		v.action(a, types, selections, actions, names)
	}
	if len(v.problems) > 0 {
		return &ValidationError{Problems: v.problems}
	}
	return nil
}

type validator struct {
	m        *Model
	problems []Problem
}

func (v *validator) add(path, format string, a ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, a...)})
}

func (v *validator) quota(path string, n, limit int) {
	if n > limit {
		v.add(path, "at most %d per system, got %d", limit, n)
	}
}

func (v *validator) id(path, id string, seen map[string]bool) {
	switch {
	case !idPattern.MatchString(id):
		v.add(path+".id", "%q must match ^[a-z]+[a-z0-9_-]*$", id)
	case len(id) > 32:
		v.add(path+".id", "%q is longer than 32 characters", id)
	case seen[id]:
		v.add(path+".id", "%q is defined twice", id)
	}
	seen[id] = true
}

func (v *validator) names(path, kind, name, nameEn string, seen map[string]map[string]bool) {
	for _, n := range []struct{ field, value string }{{"name", name}, {"name_en", nameEn}} {
		if n.value == "" {
			v.add(path+"."+n.field, "is required")
			continue
		}
		k := kind + "." + n.field
		if seen[k] == nil {
			seen[k] = map[string]bool{}
		}
		if seen[k][n.value] {
			v.add(path+"."+n.field, "%q is used by another %s", n.value, kind)
		}
		seen[k][n.value] = true
	}
}

// ref checks a reference to this system's objects; references to other
// systems cannot be checked offline.
func (v *validator) ref(path string, r Ref, known map[string]bool, kind string) {
	if r.SystemID == "" || r.ID == "" {
		v.add(path, "system_id and id are required")
		return
	}
	if r.SystemID == v.m.System.ID && !known[r.ID] {
		v.add(path+".id", "%s %q does not exist", kind, r.ID)
	}
}

func (v *validator) system() {
	s := v.m.System
	if !idPattern.MatchString(s.ID) || len(s.ID) > 32 {
		v.add("system.id", "%q must match ^[a-z]+[a-z0-9_-]*$ and be at most 32 characters", s.ID)
	}
	if s.Name == "" {
		v.add("system.name", "is required")
	}
	if s.NameEn == "" {
		v.add("system.name_en", "is required")
	}
	if s.Clients == "" {
		v.add("system.clients", "is required")
	}
	u, err := url.Parse(s.ProviderConfig.Host)
	if s.ProviderConfig.Host == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add("system.provider_config.host", "must be an http(s) URL, got %q", s.ProviderConfig.Host)
	}
	if a := s.ProviderConfig.Auth; a != "none" && a != "basic" {
		v.add("system.provider_config.auth", "must be none or basic, got %q", a)
	}
}

func (v *validator) action(a Action, types, selections, actions map[string]bool, names map[string]map[string]bool) {
	p := fmt.Sprintf("actions[%s]", a.ID)
	v.names(p, "action", a.Name, a.NameEn, names)
	if a.AuthType != "" && a.AuthType != "abac" && a.AuthType != "rbac" {
		v.add(p+".auth_type", "must be abac or rbac, got %q", a.AuthType)
	}
	if !actionTypes[a.Type] {
		v.add(p+".type", "must be one of create edit view delete list manage execute debug use, got %q", a.Type)
	}
	if a.Sensitivity < 0 || a.Sensitivity > 9 {
		v.add(p+".sensitivity", "must be 0 to 9")
	}
	seen := map[string]bool{}
	for i, rt := range a.RelatedResourceTypes {
		rp := fmt.Sprintf("%s.related_resource_types[%d]", p, i)
		v.ref(rp, Ref{SystemID: rt.SystemID, ID: rt.ID}, types, "resource type")
		if seen[rt.SystemID+":"+rt.ID] {
			v.add(rp+".id", "%q is listed twice", rt.ID)
		}
		seen[rt.SystemID+":"+rt.ID] = true
		if !selectionModes[rt.SelectionMode] {
			v.add(rp+".selection_mode", "must be all, instance, attribute or instance:paste, got %q", rt.SelectionMode)
		}
		if rt.SelectionMode != "attribute" && len(rt.RelatedInstanceSelections) == 0 {
			v.add(rp+".related_instance_selections", "needs at least one instance selection unless selection_mode is attribute")
		}
		for j, s := range rt.RelatedInstanceSelections {
			v.ref(fmt.Sprintf("%s.related_instance_selections[%d]", rp, j), Ref{SystemID: s.SystemID, ID: s.ID},
				selections, "instance selection")
			if a.AuthType == "rbac" && !s.IgnoreIAMPath {
				v.add(fmt.Sprintf("%s.related_instance_selections[%d].ignore_iam_path", rp, j), "must be true for an rbac action")
			}
		}
		if a.AuthType == "rbac" && rt.SelectionMode != "" && rt.SelectionMode != "instance" && rt.SelectionMode != "instance:paste" {
			v.add(rp+".selection_mode", "an rbac action selects instances (instance or instance:paste)")
		}
	}
	if a.AuthType == "rbac" && len(a.RelatedResourceTypes) != 1 {
		v.add(p+".related_resource_types", "an rbac action has exactly one related resource type")
	}
	for i, r := range a.RelatedActions {
		if !actions[r] {
			v.add(fmt.Sprintf("%s.related_actions[%d]", p, i), "action %q does not exist", r)
		}
	}
	for i, e := range a.RelatedEnvironments {
		if e.Type != "period_daily" {
			v.add(fmt.Sprintf("%s.related_environments[%d].type", p, i), "only period_daily is supported, got %q", e.Type)
		}
	}
}
