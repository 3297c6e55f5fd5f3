-- Emails are stored normalized (trimmed, lower-case); limits mirror domain/validation.ts,
-- so a bug in the code can never store what the domain forbids.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  role text NOT NULL CHECK (role IN ('customer', 'admin')),
  password_hash text NOT NULL CHECK (password_hash ~ '^\$[a-z0-9-]+\$'),
  created_at timestamptz NOT NULL DEFAULT now()
)
