-- A release that arrives before its reservation (the caller gave up on a ReserveStock whose answer was lost
-- and released it) records the id as RELEASED with no request: a ReserveStock arriving later finds it and
-- answers RELEASED instead of holding stock nobody will release. request_hash is NULL only for those rows.
ALTER TABLE reservations ALTER COLUMN request_hash DROP NOT NULL
