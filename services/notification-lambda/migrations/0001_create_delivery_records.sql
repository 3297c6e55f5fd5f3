-- Delivery records of the local (SQL) notifier: the counterpart of the DynamoDB table notification-deliveries.
-- One row per order event id; a COMPLETED row is never claimed again, so an event never notifies twice.
CREATE TABLE delivery_records (
  event_id text PRIMARY KEY,
  status text NOT NULL,
  -- Until when the IN_PROGRESS holder may still send; after it, another delivery may take the claim over.
  lease_expires_at timestamptz,
  message_id text,
  updated_at timestamptz NOT NULL,
  CONSTRAINT delivery_records_event_id_not_blank CHECK (length(event_id) > 0),
  CONSTRAINT delivery_records_status_shape CHECK (
    (status = 'IN_PROGRESS' AND lease_expires_at IS NOT NULL AND message_id IS NULL)
    OR (status = 'COMPLETED' AND lease_expires_at IS NULL AND message_id IS NOT NULL)
  )
);
