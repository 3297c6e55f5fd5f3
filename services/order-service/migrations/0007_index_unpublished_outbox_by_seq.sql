-- The relay reads unpublished rows oldest first; published rows (almost all) stay out of the index.
CREATE INDEX outbox_unpublished_seq_idx ON outbox (seq) WHERE published_at IS NULL
