-- The lines of a reservation, in request order, with the unit price at reservation time.
CREATE TABLE reservation_lines (
  reservation_id text NOT NULL REFERENCES reservations (id),
  position integer NOT NULL CHECK (position >= 0),
  product_id uuid NOT NULL REFERENCES products (id),
  quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  unit_price_amount bigint NOT NULL CHECK (unit_price_amount >= 0),
  unit_price_currency text NOT NULL CHECK (unit_price_currency ~ '^[A-Z]{3}$'),
  PRIMARY KEY (reservation_id, position),
  UNIQUE (reservation_id, product_id)
)
