-- The saga recoverer: unfinished orders by lease expiry; finished orders (almost all) stay out of it.
CREATE INDEX orders_unfinished_lease_idx ON orders (lease_until) WHERE saga_step <> 'DONE'
