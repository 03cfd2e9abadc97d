DROP TABLE follow_ups;
DROP TABLE complaints;
DROP TABLE ratings;
DROP INDEX orders_follow_up_due;
ALTER TABLE orders DROP COLUMN labour_minutes, DROP COLUMN follow_up_due_at, DROP COLUMN closed_at;
DROP TABLE completions;
DROP FUNCTION completions_immutable();
DROP TABLE photo_variants;
DROP TABLE photos;
