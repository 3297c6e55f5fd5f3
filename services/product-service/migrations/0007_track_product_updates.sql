-- When a product's price or stock was last changed by an operator (UpdateProduct); NULL for one never changed.
ALTER TABLE products ADD COLUMN updated_at timestamptz
