-- One row per charge idempotency key: PENDING while its owner calls the processor, then the outcome.
-- request_hash identifies the request the key was first used for (the payment token is never stored).
CREATE TABLE charges (
  id uuid PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE CHECK (idempotency_key ~ '^[A-Za-z0-9._:-]{1,255}$'),
  request_hash text NOT NULL,
  order_id text NOT NULL,
  customer_id text NOT NULL,
  amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 1000000000000),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'DECLINED')),
  decline_code text,
  card_brand text,
  card_last4 text,
  processor_charge_id text,
  attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  lease_until timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  CHECK ((status = 'PENDING') = (processor_charge_id IS NULL)),
  CHECK ((status = 'DECLINED') = (decline_code IS NOT NULL))
);

CREATE INDEX charges_order_id ON charges (order_id);
