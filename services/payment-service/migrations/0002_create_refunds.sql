-- One row per refund idempotency key. A PENDING refund already counts against its charge, so concurrent
-- refunds can never take more than was charged; a refund the processor refuses is deleted.
CREATE TABLE refunds (
  id uuid PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE CHECK (idempotency_key ~ '^[A-Za-z0-9._:-]{1,255}$'),
  request_hash text NOT NULL,
  charge_id uuid NOT NULL REFERENCES charges (id),
  amount bigint NOT NULL CHECK (amount >= 1),
  reason text NOT NULL DEFAULT '',
  status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED')),
  processor_refund_id text,
  attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  lease_until timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  CHECK ((status = 'PENDING') = (processor_refund_id IS NULL))
);

CREATE INDEX refunds_charge_id ON refunds (charge_id);
