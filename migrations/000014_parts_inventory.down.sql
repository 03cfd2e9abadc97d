ALTER TABLE orders DROP COLUMN parts_used;
DROP TABLE stock_serials;
DROP TABLE stock_balances;
DROP TABLE stock_movements;
DROP FUNCTION stock_movements_immutable();
DROP TABLE stock_locations;
DROP TABLE parts;
