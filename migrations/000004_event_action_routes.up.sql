-- Life-cycle actions are named after the routes that perform them
-- (POST /v1/orders/{id}/<action>), in allowed_actions and in the timeline.
UPDATE order_events SET action = 'quote/approve' WHERE action = 'approve';
UPDATE order_events SET action = 'quote/reject' WHERE action = 'reject';
UPDATE order_events SET action = 'awaiting-parts' WHERE action = 'awaiting_parts';
