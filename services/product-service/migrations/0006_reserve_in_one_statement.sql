-- A reservation in one statement: claims the id, takes each line's units in product-id order (so concurrent
-- reservations lock rows in the same order and never deadlock) and records the lines with their unit prices.
-- Called outside an explicit transaction, the statement is the transaction: a product's row is locked only
-- while this runs inside the server, never across a round trip to the service, so a product many orders buy at
-- once is not serialized on the client's latency.
-- Returns no row when the id is already known (the caller replays it); otherwise one row per line, in request
-- order. A line that cannot be served raises, which rolls everything back:
--   SF001 'out of stock' / SF002 'unknown product', with DETAIL the line's index in the request.
CREATE FUNCTION reserve_stock(
  p_reservation_id text,
  p_request_hash text,
  p_product_ids uuid[],
  p_quantities integer[],
  p_line_indexes integer[]
) RETURNS TABLE (line_index integer, product_id uuid, quantity integer, price_amount bigint, price_currency text)
LANGUAGE plpgsql AS $$
DECLARE
  line record;
  v_amount bigint;
  v_currency text;
BEGIN
  INSERT INTO reservations (id, request_hash, status) VALUES (p_reservation_id, p_request_hash, 'RESERVED')
    ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  FOR line IN
    SELECT l.product_id, l.quantity, l.line_index, (l.position - 1)::integer AS position
    FROM unnest(p_product_ids, p_quantities, p_line_indexes) WITH ORDINALITY AS l(product_id, quantity, line_index, position)
    ORDER BY l.product_id, l.position
  LOOP
    UPDATE products SET stock = stock - line.quantity
      WHERE id = line.product_id AND stock >= line.quantity
      RETURNING products.price_amount, products.price_currency INTO v_amount, v_currency;
    IF NOT FOUND THEN
      IF EXISTS (SELECT 1 FROM products WHERE id = line.product_id) THEN
        RAISE EXCEPTION 'not enough stock for product %', line.product_id
          USING ERRCODE = 'SF001', DETAIL = line.line_index::text;
      END IF;
      RAISE EXCEPTION 'unknown product %', line.product_id USING ERRCODE = 'SF002', DETAIL = line.line_index::text;
    END IF;
    INSERT INTO reservation_lines
      (reservation_id, position, product_id, quantity, unit_price_amount, unit_price_currency)
      VALUES (p_reservation_id, line.position, line.product_id, line.quantity, v_amount, v_currency);
    line_index := line.line_index;
    product_id := line.product_id;
    quantity := line.quantity;
    price_amount := v_amount;
    price_currency := v_currency;
    RETURN NEXT;
  END LOOP;
END
$$
