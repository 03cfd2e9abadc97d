UPDATE order_events SET action = 'approve' WHERE action = 'quote/approve';
UPDATE order_events SET action = 'reject' WHERE action = 'quote/reject';
UPDATE order_events SET action = 'awaiting_parts' WHERE action = 'awaiting-parts';
