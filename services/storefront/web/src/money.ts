/** Integer minor units of an ISO 4217 currency, as the API speaks them. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** Digits after the decimal point of a currency (2 for EUR, 0 for JPY), as the browser's Intl knows them. */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** `€19.99` from `{amount: 1999, currency: 'EUR'}`. */
export function formatMoney(money: Money): string {
  const digits = minorDigits(money.currency);
  return new Intl.NumberFormat('en-IE', { style: 'currency', currency: money.currency }).format(
    money.amount / 10 ** digits,
  );
}

/**
 * Minor units from what a person typed (`19.99`, `19,99`, `20`), or undefined when it is not a price: more decimals
 * than the currency has, a sign, letters, nothing.
 */
export function parsePrice(text: string, currency: string): number | undefined {
  const digits = minorDigits(currency);
  const match = /^(\d{1,9})(?:[.,](\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, whole = '', fraction = ''] = match;
  if (fraction.length > digits) return undefined;
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}
