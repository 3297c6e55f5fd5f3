/**
 * The Idempotency-Key of each checkout attempt. One attempt is one key: a double click, or sending again after no
 * answer or a timeout, repeats the attempt with its key (the API returns the same order, never a second one). An
 * answer ends the attempt: the next "Place order" is a new attempt with a new key. A changed cart or card is a new
 * attempt too (the API refuses a key reused with another body).
 */
export class CheckoutAttempts {
  private current: { key: string; body: string } | undefined;

  constructor(private readonly newKey: () => string = () => crypto.randomUUID()) {}

  /** The key to send `body` with. */
  keyFor(body: unknown): string {
    const text = JSON.stringify(body);
    if (!this.current || this.current.body !== text) this.current = { key: this.newKey(), body: text };
    return this.current.key;
  }

  /** The attempt got an answer (an order, or a refusal): the next one gets a new key. */
  answered(): void {
    this.current = undefined;
  }
}
