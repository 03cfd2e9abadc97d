package orders

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// RatingInput is the customer's verdict: each score 1–5, comment optional.
type RatingInput struct {
	Score, Timeliness, Attitude, Quality int
	Comment                              string
}

func (in RatingInput) check() error {
	var fe []errs.FieldError
	for _, f := range []struct {
		name string
		v    int
	}{{"score", in.Score}, {"timeliness", in.Timeliness}, {"attitude", in.Attitude}, {"quality", in.Quality}} {
		if f.v < 1 || f.v > 5 {
			fe = append(fe, errs.FieldError{Field: f.name, Message: "must be between 1 and 5"})
		}
	}
	if utf8.RuneCountInString(in.Comment) > 2000 {
		fe = append(fe, errs.FieldError{Field: "comment", Message: "must be at most 2000 characters"})
	}
	return errs.Fields(fe)
}

// ComplaintScore is the highest score that opens a complaint by itself.
const ComplaintScore = 2

// RateResult is a stored rating and the complaint it opened, if any.
type RateResult struct {
	Rating      Rating
	ComplaintID *uuid.UUID
}

// Rate records the customer's rating of a completed (or closed) order, once:
// a second rating is Conflict. A score of ComplaintScore or less opens a
// complaint linked to the order, in the same transaction.
func (s *Service) Rate(ctx context.Context, p auth.Principal, id uuid.UUID, in RatingInput) (RateResult, error) {
	if err := in.check(); err != nil {
		return RateResult{}, err
	}
	var out RateResult
	_, err := s.modify(ctx, p, id, EventRating, func(c *change) error {
		o := c.o
		if p.Role != auth.RoleCustomer || o.CustomerID != p.UserID {
			return errs.E(errs.Forbidden, "only the order's customer rates it")
		}
		if o.Status != StatusCompleted && o.Status != StatusClosed {
			return &errs.Error{Kind: errs.Conflict, Message: "an order is rated once it is completed",
				Extra: map[string]any{"current_status": o.Status}}
		}
		if _, found, err := c.st.rating(c.ctx, o.ID); err != nil {
			return err
		} else if found {
			return &errs.Error{Kind: errs.Conflict, Message: "the order is already rated",
				Extra: map[string]any{"current_status": o.Status}}
		}
		r := Rating{OrderID: o.ID, CustomerID: p.UserID, Visit: o.VisitCount, Score: in.Score, Timeliness: in.Timeliness,
			Attitude: in.Attitude, Quality: in.Quality, Comment: strings.TrimSpace(in.Comment), CreatedAt: c.now}
		if err := c.st.addRating(c.ctx, &r); err != nil {
			return err
		}
		out.Rating = r
		c.payload = JSON{"score": r.Score, "timeliness": r.Timeliness, "attitude": r.Attitude, "quality": r.Quality}
		if r.Score > ComplaintScore {
			return nil
		}
		desc := r.Comment
		if desc == "" {
			desc = "rated " + itoa(r.Score) + " of 5"
		}
		severity := "medium"
		if r.Score == 1 {
			severity = "high"
		}
		cp := Complaint{ID: ids.New(), CustomerID: p.UserID, OrderID: &o.ID, Source: "rating", Category: "service_quality",
			Severity: severity, Description: desc, Status: "open", CreatedAt: c.now, UpdatedAt: c.now}
		if err := OpenComplaint(c.ctx, c.st.db, &cp, p); err != nil { // due times, timeline, complaint.created
			return err
		}
		out.ComplaintID = &cp.ID
		c.payload["complaint_id"] = cp.ID
		// staff take it up through the complaint workflow (quality issue)
		return nil
	})
	return out, err
}

// Rating returns the rating of an order p may see (NotFound when none).
func (s *Service) Rating(ctx context.Context, p auth.Principal, id uuid.UUID) (Rating, error) {
	if _, err := s.visible(ctx, p, id); err != nil {
		return Rating{}, err
	}
	r, found, err := s.st.rating(ctx, id)
	if err != nil {
		return Rating{}, err
	}
	if !found {
		return Rating{}, errs.NotFoundf("rating")
	}
	return r, nil
}

// FollowUpInput is staff's call: reached, and if so satisfaction 1–5 and
// whether the problem is resolved.
type FollowUpInput struct {
	Reached      *bool
	Satisfaction *int
	Resolved     *bool
	Notes        string
}

func (in FollowUpInput) check() error {
	var fe []errs.FieldError
	switch {
	case in.Reached == nil:
		fe = append(fe, errs.FieldError{Field: "reached", Message: "is required"})
	case *in.Reached:
		if in.Satisfaction == nil || *in.Satisfaction < 1 || *in.Satisfaction > 5 {
			fe = append(fe, errs.FieldError{Field: "satisfaction", Message: "is required when the customer was reached, between 1 and 5"})
		}
		if in.Resolved == nil {
			fe = append(fe, errs.FieldError{Field: "resolved", Message: "is required when the customer was reached"})
		}
	default:
		if in.Satisfaction != nil {
			fe = append(fe, errs.FieldError{Field: "satisfaction", Message: "must be absent when the customer was not reached"})
		}
		if in.Resolved != nil {
			fe = append(fe, errs.FieldError{Field: "resolved", Message: "must be absent when the customer was not reached"})
		}
	}
	if utf8.RuneCountInString(in.Notes) > 2000 {
		fe = append(fe, errs.FieldError{Field: "notes", Message: "must be at most 2000 characters"})
	}
	return errs.Fields(fe)
}

// FollowUpResult is the recorded call and the order after it.
type FollowUpResult struct {
	FollowUp FollowUp
	Order    Order
}

// RecordFollowUp records staff's call on a completed order. Resolved closes
// the order; not resolved reopens it as a repeat repair (a new visit);
// not reached records the attempt and leaves it completed (still due).
func (s *Service) RecordFollowUp(ctx context.Context, p auth.Principal, id uuid.UUID, in FollowUpInput) (FollowUpResult, error) {
	if err := in.check(); err != nil {
		return FollowUpResult{}, err
	}
	var f FollowUp
	o, err := s.transition(ctx, p, id, ActFollowUp, func(c *change) error {
		f = FollowUp{ID: ids.New(), OrderID: c.o.ID, Visit: c.o.VisitCount, Reached: *in.Reached, Satisfaction: in.Satisfaction,
			Resolved: in.Resolved, Notes: strings.TrimSpace(in.Notes), RecordedBy: p.UserID, CreatedAt: c.now}
		if err := c.st.addFollowUp(c.ctx, &f); err != nil {
			return err
		}
		c.payload = JSON{"follow_up_id": f.ID, "reached": f.Reached, "resolved": f.Resolved, "satisfaction": f.Satisfaction}
		switch {
		case !f.Reached:
			c.o.Status = StatusCompleted
		case *f.Resolved:
			c.o.ClosedAt = &c.now
		default:
			newVisit(c)
			c.payload["visit_count"] = c.o.VisitCount
			return c.notify(c.o.CustomerID, "order_reopened", "Your request "+c.o.Number+" was reopened",
				"We will arrange another visit.")
		}
		return nil
	})
	return FollowUpResult{FollowUp: f, Order: o}, err
}

// FollowUpPage is one page of an order's follow-up calls, oldest first.
type FollowUpPage struct {
	Items      []FollowUp
	NextCursor string
}

// FollowUps lists the follow-up calls of an order p may see.
func (s *Service) FollowUps(ctx context.Context, p auth.Principal, id uuid.UUID, pr page.Request) (FollowUpPage, error) {
	if _, err := s.visible(ctx, p, id); err != nil {
		return FollowUpPage{}, err
	}
	rows, err := s.st.followUps(ctx, id, pr.After, pr.Limit+1)
	if err != nil {
		return FollowUpPage{}, err
	}
	items, next := page.Cut(rows, pr.Limit, func(f FollowUp) page.Key { return page.Key{At: f.CreatedAt, ID: f.ID} })
	return FollowUpPage{Items: items, NextCursor: next}, nil
}
