-- VOIDED: compensation settled an unknown charge by voiding its key at payment-service before any charge was made
-- under it, so none ever will be (a late first attempt of the charge is answered VOIDED there).
ALTER TABLE orders
  DROP CONSTRAINT orders_charge_state_check,
  ADD CONSTRAINT orders_charge_state_check
    CHECK (charge_state IN ('NONE', 'UNKNOWN', 'SUCCEEDED', 'DECLINED', 'REFUNDED', 'VOIDED'));
