import { z } from 'zod';

/** ISO 4217 alphabetic code. Format only: whether the code is in use is the payment provider's concern. */
export const currencyCodeSchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code: three upper-case letters');

/**
 * An amount in the currency's minor unit (cents for EUR, yen for JPY), as an integer.
 * Floats would round (0.1 + 0.2 !== 0.3); a safe integer never does.
 */
export const moneySchema = z.object({
  amount: z.int('must be an integer number of minor units').nonnegative('must not be negative'),
  currency: currencyCodeSchema,
});

export type Money = z.infer<typeof moneySchema>;

/**
 * Building an Intl.NumberFormat costs far more than formatting with one (it loads the locale's data), so each
 * locale and currency pair gets one, kept for the process; the pairs are few (valid ISO 4217 codes only).
 */
const formats = new Map<string, Intl.NumberFormat>();
const formatFor = (locale: string, currency: string): Intl.NumberFormat => {
  const key = `${locale}|${currency}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formats.set(key, format);
  }
  return format;
};

const fractionDigits = (currency: string): number =>
  formatFor('en-US', currency).resolvedOptions().maximumFractionDigits ?? 2;

/**
 * Formats minor units for people, e.g. `{ amount: 123456, currency: 'EUR' }` -> `€1,234.56`.
 * The amount goes to Intl as a decimal string, so no float is ever involved.
 */
export const formatMoney = (money: Money, locale = 'en-US'): string => {
  const digits = fractionDigits(money.currency);
  const padded = String(money.amount).padStart(digits + 1, '0');
  const decimal = digits === 0 ? padded : `${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
  // A string of digits with at most one dot is a numeric literal; Intl formats it exactly.
  return formatFor(locale, money.currency).format(decimal as `${number}`);
};
