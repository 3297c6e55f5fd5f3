-- ListOrders: WHERE user_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC.
CREATE INDEX orders_user_created_at_id_idx ON orders (user_id, created_at DESC, id DESC)
