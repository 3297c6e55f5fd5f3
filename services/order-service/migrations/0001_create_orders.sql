-- status is what the customer sees; saga_step, stock_state and charge_state are the saga's durable memory
-- (README: "The saga"), so a crash at any point can be driven on.
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  user_id text NOT NULL CHECK (char_length(user_id) >= 1),
  user_email text NOT NULL,
  idempotency_key text NOT NULL CHECK (idempotency_key ~ '^[A-Za-z0-9._:-]{1,255}$'),
  -- sha256 of the canonical request: a replay must carry the same cart and payment token.
  request_hash text NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'FAILED')),
  saga_step text NOT NULL CHECK (saga_step IN ('RESERVING', 'CHARGING', 'COMPENSATING', 'DONE')),
  stock_state text NOT NULL CHECK (stock_state IN ('NONE', 'UNKNOWN', 'RESERVED', 'RELEASED')),
  charge_state text NOT NULL CHECK (charge_state IN ('NONE', 'UNKNOWN', 'SUCCEEDED', 'DECLINED', 'REFUNDED')),
  -- Needed only while a charge may be (re)played with the same request; erased when the saga is done.
  payment_token text,
  total_amount bigint CHECK (total_amount >= 0),
  total_currency text CHECK (total_currency ~ '^[A-Z]{3}$'),
  payment_id text,
  failure_code text,
  failure_reason text,
  decline_code text,
  -- Who runs the saga, until when (renewed at every step); the recoverer takes expired leases.
  lease_owner uuid,
  lease_until timestamptz NOT NULL,
  recoveries integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, idempotency_key),
  CHECK ((total_amount IS NULL) = (total_currency IS NULL)),
  CHECK ((status = 'PENDING') = (saga_step IN ('RESERVING', 'CHARGING'))),
  CHECK (status <> 'CONFIRMED' OR (saga_step = 'DONE' AND payment_id IS NOT NULL AND total_amount IS NOT NULL)),
  CHECK (status <> 'FAILED' OR failure_code IS NOT NULL),
  CHECK (saga_step <> 'DONE' OR payment_token IS NULL)
)
