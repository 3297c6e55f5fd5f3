-- One account per email in any letter case. The database decides, not a check-then-insert: of two concurrent
-- registrations one fails with SQLSTATE 23505 on this index, which the store maps to ALREADY_EXISTS.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))
