package orders

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Assignment result: who got the job and why.
type Assigned struct {
	Order        Order
	TechnicianID uuid.UUID
	Reason       string
}

// Assign gives the order to a technician (manual) or picks one (auto):
// on-duty technicians of the order's region with the skill its type needs,
// under their daily capacity, fewest open jobs that day first (jobs booked
// that day or not booked yet), then nearest when both locations are known.
// Concurrent auto-assigns count a technician's load one at a time. Partner dispatchers assign their own technicians only.
// Nobody qualified is Conflict with the reason; the order stays as it was.
func (s *Service) Assign(ctx context.Context, p auth.Principal, id uuid.UUID, techID *uuid.UUID, auto bool) (Assigned, error) {
	if (techID == nil) == !auto {
		return Assigned{}, errs.Field("technician_id", "give either technician_id or auto: true")
	}
	// Technicians are read before the order's transaction so the transaction
	// never waits for a second pool connection; region and type are re-checked under the lock.
	peek, err := s.visible(ctx, p, id)
	if err != nil {
		return Assigned{}, err
	}
	var provider *uuid.UUID
	if p.Role == auth.RoleDispatcher {
		in, err := s.people.InHouse(ctx, p)
		if err != nil {
			return Assigned{}, err
		}
		if !in {
			provider = p.ProviderID
		}
	}
	var candidates []identity.User
	if auto {
		candidates, err = s.people.Technicians(ctx, peek.Region, SkillFor[peek.Type], provider, true)
		if err != nil {
			return Assigned{}, err
		}
	} else {
		t, err := s.people.Technician(ctx, *techID)
		if errs.Is(err, errs.NotFound) || (err == nil && provider != nil && (t.ProviderID == nil || *t.ProviderID != *provider)) {
			return Assigned{}, errs.Field("technician_id", "does not name an active technician you may dispatch")
		}
		if err != nil {
			return Assigned{}, err
		}
		candidates = []identity.User{t}
	}
	var res Assigned
	o, err := s.transition(ctx, p, id, ActAssign, func(c *change) error {
		if c.o.Region != peek.Region || c.o.Type != peek.Type {
			return &errs.Error{Kind: errs.Conflict, Message: "the order changed while dispatching; try again",
				Extra: map[string]any{"current_status": c.from}}
		}
		var pick identity.User
		var why string
		if auto {
			if err := c.st.lockTechnicians(c.ctx, userIDs(candidates)); err != nil {
				return err
			}
			load, err := c.st.openJobs(c.ctx, userIDs(candidates), c.now)
			if err != nil {
				return err
			}
			var ok bool
			pick, why, ok = choose(*c.o, candidates, load)
			if !ok {
				return &errs.Error{Kind: errs.Conflict, Message: why, Extra: map[string]any{"current_status": c.from}}
			}
		} else {
			pick, why = candidates[0], "assigned by "+p.Role
		}
		if c.o.TechnicianID != nil && *c.o.TechnicianID == pick.ID && c.o.Status == StatusAssigned && peek.Status == StatusAssigned {
			return &errs.Error{Kind: errs.Conflict, Message: "the order is already assigned to this technician",
				Extra: map[string]any{"current_status": StatusAssigned}}
		}
		previous := c.o.TechnicianID
		if err := c.st.endAppointment(c.ctx, c.o.ID, c.now); err != nil {
			return err
		}
		c.o.TechnicianID, c.o.ProviderID = &pick.ID, pick.ProviderID
		c.o.AppointmentStart, c.o.AppointmentEnd = nil, nil
		if err := c.st.recordAssignment(c.ctx, c.o.ID, pick.ID, c.now); err != nil {
			return err
		}
		c.payload = JSON{"technician_id": pick.ID, "auto": auto, "reason": why}
		if previous != nil && *previous != pick.ID {
			c.payload["previous_technician_id"] = *previous
			// replaced before accepting: the order leaves their scope, as after a decline
			if err := c.st.dropUnaccepted(c.ctx, c.o.ID, *previous); err != nil {
				return err
			}
			if err := c.notify(*previous, "job_reassigned", "Job "+c.o.Number+" was reassigned", "It is no longer on your list."); err != nil {
				return err
			}
		}
		res.TechnicianID, res.Reason = pick.ID, why
		return c.notify(pick.ID, "job_assigned", "New job "+c.o.Number, c.o.Type+" in "+c.o.Region+": "+c.o.Description)
	})
	if err != nil {
		return Assigned{}, err
	}
	res.Order = o
	return res, nil
}

func userIDs(us []identity.User) []uuid.UUID {
	out := make([]uuid.UUID, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

// choose applies the dispatch rule to candidates and explains the choice.
func choose(o Order, cands []identity.User, load map[uuid.UUID]int) (identity.User, string, bool) {
	if len(cands) == 0 {
		skill := SkillFor[o.Type]
		if skill == "" {
			skill = "any skill"
		}
		return identity.User{}, fmt.Sprintf("no on-duty technician in region %q with %s", o.Region, skill), false
	}
	type cand struct {
		u    identity.User
		jobs int
		km   float64
		geo  bool
	}
	var free []cand
	for _, u := range cands {
		c := cand{u: u, jobs: load[u.ID]}
		if c.jobs >= u.DailyCapacity {
			continue
		}
		if o.Address.Lat != nil && o.Address.Lng != nil && u.LastLat != nil && u.LastLng != nil {
			c.km, c.geo = distanceKm(*o.Address.Lat, *o.Address.Lng, *u.LastLat, *u.LastLng), true
		}
		free = append(free, c)
	}
	if len(free) == 0 {
		return identity.User{}, fmt.Sprintf("all %d qualified technicians in region %q are at their daily capacity", len(cands), o.Region), false
	}
	sort.SliceStable(free, func(i, j int) bool {
		a, b := free[i], free[j]
		if a.jobs != b.jobs {
			return a.jobs < b.jobs
		}
		if a.geo != b.geo {
			return a.geo // a known distance beats an unknown one
		}
		if a.geo && a.km != b.km {
			return a.km < b.km
		}
		return a.u.ID.String() < b.u.ID.String()
	})
	best := free[0]
	why := fmt.Sprintf("%s: on duty in %s, %d open jobs of capacity %d (fewest among %d available)",
		best.u.Name, o.Region, best.jobs, best.u.DailyCapacity, len(free))
	if best.geo {
		why += fmt.Sprintf(", %.1f km away", best.km)
	}
	return best.u, why, true
}
