-- ListAllOrders (the operator's console): WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC.
CREATE INDEX orders_created_at_id_idx ON orders (created_at DESC, id DESC)
