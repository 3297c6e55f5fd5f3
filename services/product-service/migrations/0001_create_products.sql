-- One statement per file: the kit's migrate() sends each file as one prepared statement, which PGlite
-- refuses for several commands. Limits mirror domain/product.ts, so a bug in the code can never store
-- what the domain forbids.
CREATE TABLE products (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
  price_amount bigint NOT NULL CHECK (price_amount BETWEEN 0 AND 1000000000000),
  price_currency text NOT NULL CHECK (price_currency ~ '^[A-Z]{3}$'),
  -- No upper bound here: releasing a reservation returns units that were once within bounds.
  stock integer NOT NULL CHECK (stock >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
)
