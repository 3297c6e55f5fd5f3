-- The lines of an order in request order; the unit price is the one product-service reserved at.
CREATE TABLE order_items (
  order_id uuid NOT NULL REFERENCES orders (id),
  position integer NOT NULL CHECK (position BETWEEN 0 AND 49),
  product_id uuid NOT NULL,
  quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  unit_price_amount bigint CHECK (unit_price_amount >= 0),
  unit_price_currency text CHECK (unit_price_currency ~ '^[A-Z]{3}$'),
  PRIMARY KEY (order_id, position),
  UNIQUE (order_id, product_id),
  CHECK ((unit_price_amount IS NULL) = (unit_price_currency IS NULL))
)
