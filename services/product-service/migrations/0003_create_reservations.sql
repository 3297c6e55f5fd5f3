-- A stock reservation, keyed by the caller's idempotency key (order-service sends one per order).
CREATE TABLE reservations (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,100}$'),
  -- sha256 of the canonical request: a replay must carry the same lines.
  request_hash text NOT NULL,
  status text NOT NULL CHECK (status IN ('RESERVED', 'RELEASED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz
)
