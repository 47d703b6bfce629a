package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/bkflow/bkflow/api/spaceconfig"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy/admission"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// savedTree is a template tree ready to store.
type savedTree struct {
	tree pipeline.Tree
	raw  json.RawMessage
	md5  string
	refs []pipeline.SubprocessRef
}

// checkTemplateTree validates a web tree a template is saved with: the full
// validation tasks get (BKFlow only checks the graph here, so trees it
// accepts can fail later at create_task), plus its subprocesses, which must
// be live templates of the same space and must not lead back to templateID
// (0 for a new template). With regenerate, node and flow ids are replaced
// and the tree gets a new id, as BKFlow does on create and copy.
func (h *templatesHandler) checkTemplateTree(ctx context.Context, q *store.Queries, spaceID, templateID int64,
	tree pipeline.Tree, regenerate bool) (savedTree, error) {
	w, err := h.parser.ParseTree(tree)
	if err != nil {
		return savedTree{}, treeError(err)
	}
	if err := pipeline.Validate(w); err != nil {
		return savedTree{}, treeError(err)
	}
	if regenerate {
		if _, err := pipeline.RegenerateTemplateIDs(tree, nil); err != nil {
			return savedTree{}, treeError(err)
		}
		tree["id"] = pipeline.NewID(pipeline.KindNode)
	}
	var tpl *admission.Ref
	if templateID != 0 {
		tpl = &admission.Ref{ID: templateID}
	}
	if err := admit(ctx, h.admission, admission.ActionTemplateSave, "", tpl, nil, tree); err != nil {
		return savedTree{}, err
	}
	refs, err := pipeline.SubprocessRefs(tree)
	if err != nil {
		return savedTree{}, fieldError("pipeline_tree", "流程树校验失败: "+err.Error())
	}
	if err := h.checkSubprocesses(ctx, q, spaceID, templateID, refs); err != nil {
		return savedTree{}, err
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return savedTree{}, errInternal(err)
	}
	sum, err := pipeline.MD5(tree)
	if err != nil {
		return savedTree{}, errInternal(err)
	}
	return savedTree{tree: tree, raw: raw, md5: sum, refs: refs}, nil
}

// checkSubprocesses refuses subprocess nodes naming templates that are not
// live templates of the space, or that run templateID again.
func (h *templatesHandler) checkSubprocesses(ctx context.Context, q *store.Queries, spaceID, templateID int64,
	refs []pipeline.SubprocessRef) error {
	if len(refs) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(refs))
	for _, r := range refs {
		ids = append(ids, r.TemplateID)
	}
	live, err := q.TemplatesLive(ctx, spaceID, ids)
	if err != nil {
		return fmt.Errorf("check subprocess templates: %w", err)
	}
	var problems []string
	for _, r := range refs {
		if !containsID(live, r.TemplateID) {
			problems = append(problems, fmt.Sprintf("[node %s] subprocess template %d does not exist in space %d",
				r.NodeID, r.TemplateID, spaceID))
		}
	}
	if len(problems) == 0 && templateID != 0 {
		loops, err := q.TemplatesReaching(ctx, ids, templateID)
		if err != nil {
			return fmt.Errorf("check subprocess cycles: %w", err)
		}
		for _, r := range refs {
			if r.TemplateID == templateID || containsID(loops, r.TemplateID) {
				problems = append(problems, fmt.Sprintf("[node %s] subprocess template %d runs this template again (循环引用)",
					r.NodeID, r.TemplateID))
			}
		}
	}
	if len(problems) > 0 {
		return fieldError("pipeline_tree", "流程树校验失败: "+strings.Join(problems, "; "))
	}
	return nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// references turns a tree's subprocess nodes into reference rows.
func references(refs []pipeline.SubprocessRef) []store.TemplateReference {
	out := make([]store.TemplateReference, len(refs))
	for i, r := range refs {
		out[i] = store.TemplateReference{SubprocessTemplateID: r.TemplateID, SubprocessNodeID: r.NodeID,
			Version: truncateRunes(r.Version, 32), AlwaysUseLatest: r.AlwaysUseLatest}
	}
	return out
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// spaceSetting returns a TEXT space config's value, or its default.
func spaceSetting(ctx context.Context, q *store.Queries, configs *spaceconfig.Registry, spaceID int64, key string) (string, error) {
	c, err := q.SpaceConfigGet(ctx, spaceID, key)
	if errors.Is(err, store.ErrNotFound) {
		def, _ := configs.Lookup(key)
		s, _ := def.Default.(string)
		return s, nil
	}
	if err != nil {
		return "", fmt.Errorf("read space config %s: %w", key, err)
	}
	var s string
	if err := json.Unmarshal(c.Value, &s); err != nil {
		return "", fmt.Errorf("space config %s is not text: %w", key, err)
	}
	return s, nil
}

// flowVersioning reports whether the space keeps drafts and released
// versions of its templates.
func (h *templatesHandler) flowVersioning(ctx context.Context, q *store.Queries, spaceID int64) (bool, error) {
	v, err := spaceSetting(ctx, q, h.configs, spaceID, spaceconfig.KeyFlowVersioning)
	return v == "true", err
}

// parseVersion parses a release version: strict semver (1.2.3, optional
// pre-release and build), as BKFlow's semver library does.
func parseVersion(v string) (*semver.Version, error) {
	sv, err := semver.StrictNewVersion(v)
	if err != nil {
		return nil, fmt.Errorf("%s is not valid SemVer string", v)
	}
	return sv, nil
}

// nextVersion is the version an automatic release gets after prev: BKFlow's
// bump (a patch of 9 rolls into the minor, a minor of 9 into the major).
func nextVersion(prev string) string {
	if prev == "" {
		return "1.0.0"
	}
	sv, err := parseVersion(prev)
	if err != nil {
		return "1.0.0"
	}
	switch {
	case sv.Patch() < 9:
		return fmt.Sprintf("%d.%d.%d", sv.Major(), sv.Minor(), sv.Patch()+1)
	case sv.Minor() < 9:
		return fmt.Sprintf("%d.%d.0", sv.Major(), sv.Minor()+1)
	default:
		return fmt.Sprintf("%d.0.0", sv.Major()+1)
	}
}

// checkNewVersion refuses a release version that is not semver, already
// exists, or is not greater than every released version (BKFlow's own check
// is looser: it compares the *bumped* new version, so 1.0.9 passes after
// 1.0.10).
func checkNewVersion(version string, released []string) error {
	sv, err := parseVersion(version)
	if err != nil {
		return refusal("版本号不符合规范: %v", err)
	}
	for _, r := range released {
		if r == version {
			return refusal("版本已存在")
		}
	}
	for _, r := range released {
		old, err := parseVersion(r)
		if err != nil {
			continue
		}
		if !sv.GreaterThan(old) {
			return refusal("版本号不符合规范: new version %s is less than old version %s", version, r)
		}
	}
	return nil
}

// latestVersion is the greatest released version ("" when none).
func latestVersion(released []string) string {
	var best *semver.Version
	latest := ""
	for _, r := range released {
		sv, err := parseVersion(r)
		if err != nil {
			continue
		}
		if best == nil || sv.GreaterThan(best) {
			best, latest = sv, r
		}
	}
	return latest
}

var md5Pattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// normaliseSubprocessVersions rewrites, in a copy of tree, each SubProcess
// node's version into the form the space shows: semver with flow_versioning,
// md5 without (BKFlow's replace_subprocess_version). Versions that match no
// snapshot of the node's template are kept.
func normaliseSubprocessVersions(ctx context.Context, q *store.Queries, tree pipeline.Tree, versioning bool) (pipeline.Tree, error) {
	refs, err := pipeline.SubprocessRefs(tree)
	if err != nil || len(refs) == 0 {
		return tree, nil //nolint:nilerr // a tree with a malformed template_id is shown as stored
	}
	out := pipeline.CloneTree(tree)
	acts, _ := out["activities"].(map[string]any)
	for _, r := range refs {
		node, _ := acts[r.NodeID].(map[string]any)
		if node == nil || node["type"] != pipeline.TypeSubProcess || r.Version == "" {
			continue
		}
		var snap store.Snapshot
		switch isMD5 := md5Pattern.MatchString(r.Version); {
		case versioning && isMD5:
			snap, err = q.SnapshotByMD5(ctx, r.TemplateID, r.Version)
			if err == nil && snap.Version != nil && !snap.Draft {
				node["version"] = *snap.Version
			}
		case !versioning && !isMD5:
			snap, err = q.SnapshotByVersion(ctx, r.TemplateID, r.Version)
			if err == nil {
				node["version"] = snap.MD5Sum
			}
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("normalise subprocess versions: %w", err)
		}
	}
	return out, nil
}
