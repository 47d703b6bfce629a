package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy/grant"
)

// Grant carries out an open authorization request (iam.md §3.5, §4.9),
// validated with grant.Request.Validate: each action's selection becomes a
// stored condition by BlueKing's rules, with the action's resource types
// and instance views from the system's model, and is OR-ed into (grant) or
// taken out of (revoke) the subject's policy. Every action is translated
// before anything is written, and all are written in one transaction, so a
// batch lands whole or not at all. It returns the policy ids in the order
// of req.ActionIDs() (0 where a revoke left nothing).
func (s *Service) Grant(ctx context.Context, req grant.Request) ([]int64, error) {
	expiredAt := req.Expiry()
	if expiredAt <= time.Now().Unix() {
		return nil, badRequest("expired_at is in the past")
	}
	var changes []policyChange
	for _, action := range req.ActionIDs() {
		related, err := s.relatedTypes(req.System, action)
		if err != nil {
			return nil, err
		}
		add, err := req.Translate(related)
		if err != nil {
			return nil, badRequest("action %s: %v", action, err)
		}
		changes = append(changes, policyChange{action: action, change: grantChange(req.Operate, add)})
	}
	return s.update(ctx, req.System, Subject{Type: req.Subject.Type, ID: req.Subject.ID}, expiredAt, changes)
}

// relatedTypes are an action's resource types with the instance views it
// offers for each, in the action's order, as grant.Request.Translate takes
// them.
func (s *Service) relatedTypes(system, action string) ([]grant.RelatedType, error) {
	a, err := s.action(system, action)
	if err != nil {
		return nil, err
	}
	m, _ := s.Model(system)
	related := make([]grant.RelatedType, 0, len(a.RelatedResourceTypes))
	for _, rt := range a.RelatedResourceTypes {
		views, err := m.Views(action, rt.ID)
		if err != nil {
			return nil, err
		}
		t := grant.RelatedType{ResourceTypeRef: grant.ResourceTypeRef{SystemID: rt.SystemID, Type: rt.ID}}
		for _, v := range views {
			gv := grant.View{ID: v.ID, IgnoreIAMPath: v.IgnoreIAMPath}
			for _, c := range v.Chain {
				gv.Chain = append(gv.Chain, grant.TypeRef{SystemID: c.SystemID, ID: c.ID})
			}
			t.Views = append(t.Views, gv)
		}
		related = append(related, t)
	}
	return related, nil
}

// grantChange is what a grant or a revoke of add does to a policy: a grant
// ORs add into it (or starts it), a revoke takes add out of it and deletes
// it when nothing is left.
func grantChange(op grant.Operate, add grant.Condition) change {
	return func(cur Condition, exists bool) (Condition, bool, error) {
		switch {
		case op == grant.OperateRevoke && !exists:
			return cur, false, nil
		case op == grant.OperateRevoke:
			next, keep := grant.Remove(cur, add)
			return next, keep, nil
		case !exists:
			return add, true, nil
		}
		return grant.Merge(cur, add), true, nil
	}
}

// change computes a subject's new condition for an action from its current
// one (exists false when it has none); keep false deletes the policy.
type change func(current Condition, exists bool) (next Condition, keep bool, err error)

// policyChange is one action's change in an update.
type policyChange struct {
	action string
	change change
}

// update applies each change to the subject's policy for its action of
// system and stores the results valid until expiredAt (or later, when a
// policy already lasts longer), all in one transaction: a batch grant
// lands whole or not at all. Each policy is locked against concurrent
// updates, in action order so that two batches cannot deadlock. It
// returns the policy ids in the order of changes (0 for a deleted or
// absent policy). The actions must exist in system (Grant has checked).
func (s *Service) update(ctx context.Context, system string, subject Subject, expiredAt int64, changes []policyChange) ([]int64, error) {
	actions := make([]string, len(changes))
	for i, c := range changes {
		actions[i] = c.action
	}
	slices.Sort(actions)
	ids := make([]int64, len(changes))
	err := s.write(ctx, func(q *store.Queries) error {
		for _, a := range slices.Compact(actions) {
			if err := q.IAMPolicyLock(ctx, system, a, subject.Type, subject.ID); err != nil {
				return err
			}
		}
		for i, c := range changes {
			id, err := updatePolicy(ctx, q, system, c.action, subject, expiredAt, c.change)
			if err != nil {
				return err
			}
			ids[i] = id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// updatePolicy applies change to one policy, locked by the caller.
func updatePolicy(ctx context.Context, q *store.Queries, system, action string, subject Subject, expiredAt int64, apply change) (int64, error) {
	cur, err := q.IAMPolicyGetForUpdate(ctx, system, action, subject.Type, subject.ID)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	var cond Condition
	if exists {
		if cond, err = ParseExpression(cur.Expression); err != nil {
			return 0, fmt.Errorf("stored policy %d: %w", cur.ID, err)
		}
	}
	next, keep, err := apply(cond, exists)
	if err != nil {
		return 0, err
	}
	if !keep {
		if exists {
			return 0, q.IAMPolicyDelete(ctx, cur.ID)
		}
		return 0, nil
	}
	if _, err := DNF(next); err != nil {
		return 0, badRequest("action %s: %v", action, err)
	}
	expr, err := next.MarshalJSON() // the bytes BlueKing's SaaS would store
	if err != nil {
		return 0, err
	}
	if exists && cur.ExpiredAt > expiredAt {
		expiredAt = cur.ExpiredAt
	}
	p, err := q.IAMPolicyUpsert(ctx, store.IAMPolicy{SystemID: system, ActionID: action, SubjectType: subject.Type,
		SubjectID: subject.ID, Expression: string(expr), ExpiredAt: expiredAt})
	return p.ID, err
}
