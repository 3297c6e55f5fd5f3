-- The same rule as 0003's check on a reservation's id, written without a bounded repetition. PostgreSQL's regular
-- expressions expand `{1,100}` into a state per position, which cost ~17 µs per check against ~1 µs for a length test
-- and `+`, and every reservation inserts one.
ALTER TABLE reservations DROP CONSTRAINT reservations_id_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_id_check
  CHECK (char_length(id) BETWEEN 1 AND 100 AND id ~ '^[A-Za-z0-9._:-]+$');
