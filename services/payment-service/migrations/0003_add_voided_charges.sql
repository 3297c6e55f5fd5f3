-- VoidCharge records a key no charge was made under as VOIDED: a full row (the request's hash, order, customer,
-- amount) with no processor charge, so a Charge of the key arriving later finds it done and never charges.
ALTER TABLE charges
  DROP CONSTRAINT charges_status_check,
  DROP CONSTRAINT charges_check,
  ADD CONSTRAINT charges_status_check CHECK (status IN ('PENDING', 'SUCCEEDED', 'DECLINED', 'VOIDED')),
  ADD CONSTRAINT charges_processor_charge_id_check
    CHECK ((status IN ('PENDING', 'VOIDED')) = (processor_charge_id IS NULL)),
  ADD CONSTRAINT charges_voided_without_card_check
    CHECK (status <> 'VOIDED' OR (card_brand IS NULL AND card_last4 IS NULL));
