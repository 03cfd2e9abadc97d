ALTER TABLE product_models DROP COLUMN IF EXISTS brand;
