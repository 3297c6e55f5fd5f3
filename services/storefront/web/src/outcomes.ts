import type { ApiError } from './api';

/** What the shop says to a customer about an order that was not placed, by the API's error (or failure) code. */

const DECLINES: Readonly<Record<string, string>> = {
  card_declined: 'Your card was declined. Nothing was charged; please try another card.',
  insufficient_funds: 'Your card was declined for insufficient funds. Nothing was charged; please try another card.',
  processing_error:
    "Your card's bank could not process the payment. Nothing was charged; please try again or use another card.",
};

/** `items[2].quantity` -> 2. */
export function itemIndex(field: string | undefined): number | undefined {
  const match = /^items\[(\d+)\]/.exec(field ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * The sentence for a failed order, from its failure code (an order read back) or its error (POST /orders), with the
 * name of the cart line at fault when there is one. Never the API's own wording, which is for programs and support.
 */
export function failureWords(code: string, details: { declineCode?: string | null; product?: string } = {}): string {
  switch (code) {
    case 'PAYMENT_DECLINED':
      return (
        DECLINES[details.declineCode ?? ''] ?? 'Your card was declined. Nothing was charged; please try another card.'
      );
    case 'OUT_OF_STOCK':
      return details.product
        ? `Sorry, we do not have enough "${details.product}" in stock. Lower the quantity or remove it from your cart.`
        : 'Sorry, something in your cart is no longer in stock in that quantity.';
    case 'PRODUCT_NOT_FOUND':
      return `${details.product ? `"${details.product}"` : 'Something in your cart'} is no longer sold. Remove it from your cart and try again.`;
    case 'PAYMENT_FAILED':
      return 'We could not take a payment with this card. Nothing was charged; please choose another card.';
    case 'MIXED_CURRENCY':
      return 'Your cart mixes prices in different currencies; please order them separately.';
    case 'AMOUNT_TOO_LARGE':
      return 'This order is larger than we can take in one payment; please split it into smaller orders.';
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Please sign in again; your cart is kept.';
    case 'RESOURCE_EXHAUSTED':
      return 'The shop is very busy just now. Please try again in a moment.';
    default:
      return 'We could not place your order just now; any charge has been refunded. Please try again in a moment.';
  }
}

/** The sentence for an error of POST /api/v1/orders; `productName(i)` names cart line `i`. */
export function orderErrorWords(error: ApiError, productName: (index: number) => string | undefined): string {
  if (error.status === 0) {
    return 'We lost the connection before the shop answered. Press "Place order" again: you will not be charged twice.';
  }
  if (error.mayRepeat) {
    return 'The shop took too long to answer. Press "Place order" again: you will not be charged twice.';
  }
  if (error.code === 'INVALID_ARGUMENT') return 'Please correct the highlighted field.';
  const index = itemIndex(error.field);
  const product = index === undefined ? undefined : productName(index);
  return failureWords(error.code, { declineCode: error.body.declineCode, product });
}

/** A person's word for an order's status. */
export const STATUS_WORDS: Readonly<Record<string, string>> = {
  PENDING: 'Being placed',
  CONFIRMED: 'Confirmed',
  FAILED: 'Not placed',
};
