-- Product models carry the manufacturer's brand, shown with the model on order
-- screens (SPEC §8: asset {serial_number, product_model {brand, name}}).
ALTER TABLE product_models ADD COLUMN brand text NOT NULL DEFAULT '';
