package orders

import (
	"context"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
)

// The reads of a live notification stream (GET /v1/notifications/stream):
// ids are UUIDv7, so id order is creation order, and a stream's position is
// the id of the last notification it sent (its SSE event id). Index:
// notifications_user_id_id (migration 000020).

// NotificationsAfter returns up to limit of p's notifications with an id
// after after, oldest first: the catch-up of a stream (Last-Event-ID, or after
// the listener reconnected).
func (s *Service) NotificationsAfter(ctx context.Context, p auth.Principal, after uuid.UUID, limit int) ([]Notification, error) {
	return s.st.notificationsAfter(ctx, p.UserID, after, limit)
}

// NotificationsByID returns those of ids that are p's notifications, oldest
// first; others' ids are left out (a stream never shows another user's).
func (s *Service) NotificationsByID(ctx context.Context, p auth.Principal, ids []uuid.UUID) ([]Notification, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.st.notificationsByID(ctx, p.UserID, ids)
}

// LatestNotificationID is the id of p's newest notification (uuid.Nil when
// there is none): where a stream opened without Last-Event-ID starts.
func (s *Service) LatestNotificationID(ctx context.Context, p auth.Principal) (uuid.UUID, error) {
	return s.st.latestNotificationID(ctx, p.UserID)
}

func (s store) notificationsAfter(ctx context.Context, user, after uuid.UUID, limit int) ([]Notification, error) {
	var out []Notification
	err := s.db.WithContext(ctx).Where("user_id = ? AND id > ?", user, after).Order("id").Limit(limit).Find(&out).Error
	return out, err
}

func (s store) notificationsByID(ctx context.Context, user uuid.UUID, ids []uuid.UUID) ([]Notification, error) {
	var out []Notification
	err := s.db.WithContext(ctx).Where("user_id = ? AND id IN ?", user, ids).Order("id").Find(&out).Error
	return out, err
}

func (s store) latestNotificationID(ctx context.Context, user uuid.UUID) (uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.db.WithContext(ctx).Model(&Notification{}).Where("user_id = ?", user).
		Order("id DESC").Limit(1).Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return uuid.Nil, err
	}
	return ids[0], nil
}
