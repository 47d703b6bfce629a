package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy/model"
	"github.com/bkflow/bkflow/policy/wire"
)

// System is bkflow's own IAM system id.
const System = "bkflow"

// Service is bkflow's policy decision point: it keeps the registered
// systems' models and an in-memory index of the stored policies, reloads
// both whenever PostgreSQL's IAM generation moves, and answers IAM's auth
// and query requests.
type Service struct {
	Engine     *Engine
	store      *store.Store
	log        *slog.Logger
	superUsers map[string]bool
	clients    map[string]bool

	models atomic.Pointer[map[string]*model.Model]
	gen    atomic.Int64
	reload sync.Mutex
}

// ServiceConfig are the Service's settings.
type ServiceConfig struct {
	// SuperUsers pass every check of every system (BlueKing's super users).
	SuperUsers []string
	// Clients are the app codes that may ask about and grant on bkflow's own
	// system; "*" allows every authenticated app.
	Clients []string
}

// NewService builds the service with bkflow's own model and no policies;
// Reload loads what PostgreSQL holds.
func NewService(ctx context.Context, st *store.Store, log *slog.Logger, cfg ServiceConfig) (*Service, error) {
	e, err := NewEngine(ctx)
	if err != nil {
		return nil, err
	}
	models, err := loadModels(nil)
	if err != nil {
		return nil, err
	}
	s := &Service{Engine: e, store: st, log: log, superUsers: set(cfg.SuperUsers), clients: set(cfg.Clients)}
	s.models.Store(&models)
	s.gen.Store(-1)
	return s, nil
}

func set(xs []string) map[string]bool {
	out := make(map[string]bool, len(xs))
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out[x] = true
		}
	}
	return out
}

// Reload reads the models, policies and memberships again when the IAM
// generation has moved since the last load.
func (s *Service) Reload(ctx context.Context) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	gen, err := s.store.IAMGeneration(ctx)
	if err != nil {
		return fmt.Errorf("iam generation: %w", err)
	}
	if gen == s.gen.Load() {
		return nil
	}
	now := time.Now().Unix()
	rows, err := s.store.IAMPolicies(ctx, now)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	members, err := s.store.IAMMembers(ctx, now)
	if err != nil {
		return fmt.Errorf("load group members: %w", err)
	}
	systems, err := s.store.IAMSystems(ctx)
	if err != nil {
		return fmt.Errorf("load iam systems: %w", err)
	}
	models, err := loadModels(systems)
	if err != nil {
		return err
	}
	snap := Snapshot{Policies: make([]Policy, len(rows)), Memberships: make([]Membership, len(members))}
	for i, p := range rows {
		snap.Policies[i] = Policy{ID: p.ID, System: p.SystemID, Action: p.ActionID,
			Subject: Subject{Type: p.SubjectType, ID: p.SubjectID}, Expression: p.Expression, ExpiredAt: p.ExpiredAt}
	}
	for i, m := range members {
		snap.Memberships[i] = Membership{Group: m.GroupID, User: m.UserID, ExpiredAt: m.ExpiredAt}
	}
	for _, err := range s.Engine.Replace(snap) {
		s.log.Warn("iam policy skipped", "error", err)
	}
	s.models.Store(&models)
	s.gen.Store(gen)
	return nil
}

// Run reloads every interval until ctx ends, so that writes made by other
// processes reach this one's decisions.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("iam reload failed", "error", err)
			}
		}
	}
}

func loadModels(systems map[string]json.RawMessage) (map[string]*model.Model, error) {
	own, err := model.Bkflow()
	if err != nil {
		return nil, fmt.Errorf("bkflow's iam model: %w", err)
	}
	out := map[string]*model.Model{System: own}
	for id, raw := range systems {
		if id == System {
			continue
		}
		var m model.Model
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("iam system %s: %w", id, err)
		}
		out[id] = &m
	}
	return out, nil
}

// Model returns a registered system's model.
func (s *Service) Model(system string) (*model.Model, bool) {
	m, ok := (*s.models.Load())[system]
	return m, ok
}

// ClientAllowed reports whether app may call the auth, query and grant
// APIs of system: bkflow's own system admits the configured clients, a
// registered system the apps in its model's clients.
func (s *Service) ClientAllowed(system, app string) bool {
	if system == System {
		return s.clients["*"] || s.clients[app]
	}
	m, ok := s.Model(system)
	if !ok {
		return false
	}
	for _, c := range strings.Split(m.System.Clients, ",") {
		if strings.TrimSpace(c) == app {
			return true
		}
	}
	return false
}

// IsSuperUser reports whether user passes every check.
func (s *Service) IsSuperUser(user string) bool { return s.superUsers[user] }

// action resolves a request's system and action, or refuses with 1901400.
func (s *Service) action(system, action string) (*model.Action, error) {
	m, ok := s.Model(system)
	if !ok {
		return nil, badRequest("system %q is not registered", system)
	}
	a, ok := m.Action(action)
	if !ok {
		return nil, badRequest("action %q does not exist in system %s", action, system)
	}
	return a, nil
}

// checkShape requires the resources to be exactly the action's related
// resource types (iam.md §4.2 step 5); a mismatch is a system error, as in
// BlueKing IAM. With subset, fewer local types are accepted (/query).
func checkShape(system string, a *model.Action, rs []Resource, subset bool) error {
	want := map[string]bool{}
	for _, t := range a.RelatedResourceTypes {
		want[t.SystemID+":"+t.ID] = true
	}
	got := map[string]bool{}
	for i, r := range rs {
		k := r.System + ":" + r.Type
		if !want[k] {
			return systemError("resources[%d]: %s is not a resource type of action %s (it takes %s)", i, k, a.ID, typeList(a))
		}
		got[k] = true
	}
	if subset {
		for k := range want {
			if !got[k] && !strings.HasPrefix(k, system+":") && len(rs) > 0 {
				return systemError("action %s needs the resource %s of another system", a.ID, k)
			}
		}
		return nil
	}
	if len(rs) != len(want) || len(got) != len(want) {
		return systemError("action %s takes exactly the resources %s, got %d", a.ID, typeList(a), len(rs))
	}
	return nil
}

func typeList(a *model.Action) string {
	var ts []string
	for _, t := range a.RelatedResourceTypes {
		ts = append(ts, t.SystemID+":"+t.ID)
	}
	if len(ts) == 0 {
		return "[]"
	}
	sort.Strings(ts)
	return "[" + strings.Join(ts, ", ") + "]"
}

// Auth answers /api/v1/policy/auth.
func (s *Service) Auth(ctx context.Context, r Request) (bool, error) {
	a, err := s.action(r.System, r.Action)
	if err != nil {
		return false, err
	}
	if r.Subject.Type == SubjectUser && s.IsSuperUser(r.Subject.ID) {
		return true, nil
	}
	if err := checkShape(r.System, a, r.Resources, false); err != nil {
		return false, err
	}
	return s.Engine.Allowed(ctx, r)
}

// Query answers /api/v1/policy/query: the user's remaining condition as a
// wire expression; ok is false for no permission ({}).
func (s *Service) Query(ctx context.Context, r Request) (wire.Expr, bool, error) {
	a, err := s.action(r.System, r.Action)
	if err != nil {
		return wire.Expr{}, false, err
	}
	if r.Subject.Type == SubjectUser && s.IsSuperUser(r.Subject.ID) {
		return AnyExpr(), true, nil
	}
	if err := checkShape(r.System, a, r.Resources, true); err != nil {
		return wire.Expr{}, false, err
	}
	rems, err := s.Engine.Remaining(ctx, r)
	if err != nil {
		return wire.Expr{}, false, err
	}
	return Translate(rems)
}

// write runs fn in a transaction that also bumps the IAM generation, then
// reloads this process's index so its next decision sees the change.
func (s *Service) write(ctx context.Context, fn func(q *store.Queries) error) error {
	if err := s.store.InTx(ctx, func(q *store.Queries) error {
		if err := fn(q); err != nil {
			return err
		}
		return q.IAMBump(ctx)
	}); err != nil {
		return err
	}
	return s.Reload(ctx)
}

// Member is a user's membership of a group.
type Member struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	ExpiredAt int64  `json:"expired_at"`
}

// AddMembers puts users into group until expiredAt (unix seconds;
// Permanent for ever), moving the expiry of existing members.
func (s *Service) AddMembers(ctx context.Context, group string, users []string, expiredAt int64) error {
	return s.write(ctx, func(q *store.Queries) error {
		for _, u := range users {
			if err := q.IAMMemberUpsert(ctx, store.IAMMember{GroupID: group, UserID: u, ExpiredAt: expiredAt}); err != nil {
				return fmt.Errorf("add %s to group %s: %w", u, group, err)
			}
		}
		return nil
	})
}

// RemoveMembers takes users out of group and returns how many were in it.
func (s *Service) RemoveMembers(ctx context.Context, group string, users []string) (int64, error) {
	var n int64
	err := s.write(ctx, func(q *store.Queries) error {
		var err error
		n, err = q.IAMMemberDelete(ctx, group, users)
		return err
	})
	return n, err
}

// Members lists a group's members, expired ones included.
func (s *Service) Members(ctx context.Context, group string) ([]Member, error) {
	ms, err := s.store.IAMMembersOf(ctx, group)
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(ms))
	for i, m := range ms {
		out[i] = Member{Type: SubjectUser, ID: m.UserID, ExpiredAt: m.ExpiredAt}
	}
	return out, nil
}

// RegisterSystem stores a model another system registers with bkflow (its
// id must not be bkflow's own).
func (s *Service) RegisterSystem(ctx context.Context, m *model.Model) error {
	if m.System.ID == System {
		return badRequest("system %s is bkflow's own and cannot be registered", System)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.write(ctx, func(q *store.Queries) error { return q.IAMSystemUpsert(ctx, m.System.ID, raw) })
}
