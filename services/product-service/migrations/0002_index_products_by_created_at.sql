-- The listing order and its keyset pagination: WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id.
CREATE INDEX products_created_at_id_idx ON products (created_at, id)
