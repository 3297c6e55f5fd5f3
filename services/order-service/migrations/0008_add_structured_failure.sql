-- Why an order failed, in columns a caller can act on (Order.failure): the input at fault (with the item's
-- position for an item field), and the peer that refused or did not answer with its gRPC status name.
-- failure_reason stays the wording for people; nothing reads these facts out of it.
ALTER TABLE orders
  ADD COLUMN failure_field text CHECK (failure_field IN ('ITEM_PRODUCT_ID', 'ITEM_QUANTITY', 'PAYMENT_TOKEN')),
  ADD COLUMN failure_item_index integer CHECK (failure_item_index >= 0),
  ADD COLUMN failure_peer text,
  ADD COLUMN failure_peer_code text,
  ADD CHECK ((failure_item_index IS NOT NULL) = COALESCE(failure_field IN ('ITEM_PRODUCT_ID', 'ITEM_QUANTITY'), false)),
  ADD CHECK ((failure_peer IS NULL) = (failure_peer_code IS NULL))
