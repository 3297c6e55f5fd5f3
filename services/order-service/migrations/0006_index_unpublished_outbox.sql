-- The relay's claim: unpublished rows in seq order, and "no earlier unpublished row of the same key".
CREATE INDEX outbox_unpublished_key_seq_idx ON outbox (message_key, seq) WHERE published_at IS NULL
