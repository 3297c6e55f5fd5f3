-- The W3C trace context the event was written in (the CreateOrder call that confirmed the order), stored in the
-- same transaction: the relay publishes it later, from another loop, and the consumers continue that trace.
ALTER TABLE outbox
  ADD COLUMN traceparent text,
  ADD COLUMN tracestate text
