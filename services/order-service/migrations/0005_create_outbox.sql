-- The transactional outbox: an event is written in the transaction that confirms its order, and the relay
-- publishes rows in seq order. id is the CloudEvents id (consumers deduplicate on it).
CREATE TABLE outbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  message_key text NOT NULL,
  event_type text NOT NULL,
  payload text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- A relay's claim on the row while it publishes; an expired claim (a relay crashed) is taken again.
  claimed_by uuid,
  claimed_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  published_at timestamptz
)
