package pipeline

import (
	"crypto/md5" //nolint:gosec // a content fingerprint (BKFlow's template version), not a security hash
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Canvas modes of the space config canvas_mode.
const (
	CanvasHorizontal = "horizontal"
	CanvasVertical   = "vertical"
)

// DefaultTree returns the tree of a template created without one, as
// BKFlow's canvas templates lay it out: start → a bk_display node named
// 消息展示 → end, with its canvas lines and locations for canvasMode
// (vertical or, for anything else, horizontal). Ids are placeholders:
// regenerate them before storing the tree.
func DefaultTree(canvasMode string) Tree {
	srcArrow, dstArrow := "Right", "Left"
	actX, actY, endX, endY := 240, 140, 540, 150
	if canvasMode == CanvasVertical {
		srcArrow, dstArrow = "Bottom", "Top"
		actX, actY, endX, endY = -20, 244, 40, 358
	} else {
		canvasMode = CanvasHorizontal
	}
	n := func(v int) json.Number { return json.Number(strconv.Itoa(v)) }
	line := func(id, from, to string) map[string]any {
		return map[string]any{"id": id, "source": map[string]any{"arrow": srcArrow, "id": from},
			"target": map[string]any{"arrow": dstArrow, "id": to}}
	}
	return Tree{
		"activities": map[string]any{
			"act": map[string]any{
				"component": map[string]any{"code": "bk_display", "version": "v1.0",
					"data": map[string]any{"bk_display_message": map[string]any{"hook": false, "need_render": true, "value": ""}}},
				"error_ignorable": false, "id": "act", "incoming": []any{"l1"}, "loop": nil, "name": "消息展示",
				"optional": true, "outgoing": "l2", "stage_name": "", "type": TypeActivity, "retryable": true,
				"skippable": true, "auto_retry": map[string]any{"enable": false, "interval": n(0), "times": n(1)},
				"timeout_config": map[string]any{"enable": false, "seconds": n(10), "action": TimeoutForcedFail},
				"labels":         []any{},
			},
		},
		"constants": map[string]any{},
		"end_event": map[string]any{"id": "end", "incoming": []any{"l2"}, "name": "", "outgoing": "",
			"type": "EmptyEndEvent", "labels": []any{}},
		"flows": map[string]any{
			"l1": map[string]any{"id": "l1", "is_default": false, "source": "start", "target": "act"},
			"l2": map[string]any{"id": "l2", "is_default": false, "source": "act", "target": "end"},
		},
		"gateways": map[string]any{},
		"line":     []any{line("l1", "start", "act"), line("l2", "act", "end")},
		"location": []any{
			map[string]any{"id": "start", "type": "startpoint", "x": n(40), "y": n(150)},
			map[string]any{"id": "act", "type": "tasknode", "name": "消息展示", "stage_name": "", "x": n(actX),
				"y": n(actY), "group": "蓝鲸服务(BK)", "icon": ""},
			map[string]any{"id": "end", "type": "endpoint", "x": n(endX), "y": n(endY)},
		},
		"outputs":     []any{},
		"start_event": map[string]any{"id": "start", "incoming": "", "name": "", "outgoing": "l1", "type": "EmptyStartEvent", "labels": []any{}},
		"canvas_mode": canvasMode,
	}
}

// MD5 fingerprints a tree: the md5 of its JSON with sorted keys. It is the
// version BKFlow shows for templates of spaces without flow_versioning
// (BKFlow hashes Python's serialisation instead, so the values differ).
func MD5(t Tree) (string, error) {
	raw, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("pipeline: fingerprint: %w", err)
	}
	sum := md5.Sum(raw) //nolint:gosec // see the import
	return hex.EncodeToString(sum[:]), nil
}

// SubprocessRef is a subprocess node of a web tree: a SubProcess node or a
// subprocess_plugin activity naming a template.
type SubprocessRef struct {
	NodeID          string
	TemplateID      int64
	Version         string
	AlwaysUseLatest bool
}

// SubprocessRefs lists the template subprocesses of a web tree, sorted by
// node id. A template_id that is not an integer is reported as an error
// naming the node.
func SubprocessRefs(t Tree) ([]SubprocessRef, error) {
	var refs []SubprocessRef
	acts := objectAt(t, "activities")
	for _, id := range sortedKeys(acts) {
		a := asObject(acts[id])
		if a == nil {
			continue
		}
		var src map[string]any
		switch {
		case stringAt(a, "type") == TypeSubProcess:
			src = a
		case stringAt(asObject(a["component"]), "code") == SubprocessPluginCode:
			data := asObject(asObject(a["component"])["data"])
			src = asObject(asObject(data["subprocess"])["value"])
		}
		if src == nil {
			continue
		}
		raw, ok := src["template_id"]
		if !ok || raw == nil || raw == "" {
			continue // an embedded subprocess
		}
		tid, err := strconv.ParseInt(strings.TrimSpace(fmt.Sprint(raw)), 10, 64)
		if err != nil || tid <= 0 {
			return nil, fmt.Errorf("node %s: subprocess template_id must be a positive integer, got %v", id, raw)
		}
		latest, _ := src["always_use_latest"].(bool)
		version := ""
		if v, ok := src["version"]; ok && v != nil {
			version = fmt.Sprint(v)
		}
		refs = append(refs, SubprocessRef{NodeID: id, TemplateID: tid, Version: version, AlwaysUseLatest: latest})
	}
	return refs, nil
}
