import { useEffect, useState } from 'preact/hooks';
import type { Money } from './money';

/** The signed-in person, as the login answered it; the token lives as long as the tab (sessionStorage). */
export interface Session {
  readonly token: string;
  readonly expiresAt: number;
  readonly user: { readonly id: string; readonly email: string; readonly name: string; readonly role: string };
}

export interface CartLine {
  readonly productId: string;
  readonly name: string;
  readonly unitPrice: Money;
  /** What the customer typed; the API says whether it is a quantity it takes. */
  readonly quantity: number;
}

const SESSION_KEY = 'shopfront.session';
const CART_KEY = 'shopfront.cart';

/** A value kept in Web Storage that pages subscribe to. */
class Stored<T> {
  private readonly listeners = new Set<(value: T) => void>();
  private value: T;

  constructor(
    private readonly storage: () => Storage,
    private readonly key: string,
    private readonly fallback: T,
    private readonly valid: (value: unknown) => value is T,
  ) {
    this.value = this.read();
  }

  private read(): T {
    try {
      const parsed: unknown = JSON.parse(this.storage().getItem(this.key) ?? 'null');
      return this.valid(parsed) ? parsed : this.fallback;
    } catch {
      return this.fallback;
    }
  }

  get(): T {
    return this.value;
  }

  set(value: T): void {
    this.value = value;
    this.storage().setItem(this.key, JSON.stringify(value));
    for (const listener of this.listeners) listener(value);
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const isSession = (v: unknown): v is Session | null =>
  v === null || (typeof v === 'object' && typeof (v as Session).token === 'string' && !!(v as Session).user);
const isCart = (v: unknown): v is CartLine[] =>
  // A quantity being typed may be empty (kept as NaN, which JSON writes as null).
  Array.isArray(v) &&
  v.every((l) => typeof l?.productId === 'string' && (typeof l?.quantity === 'number' || l?.quantity === null));

export const session = new Stored<Session | null>(() => sessionStorage, SESSION_KEY, null, isSession);
export const cart = new Stored<CartLine[]>(() => localStorage, CART_KEY, [], isCart);

/** The current value of a stored value, re-rendering on change. */
export function useStored<T>(stored: Stored<T>): T {
  const [value, setValue] = useState(stored.get());
  useEffect(() => stored.subscribe(setValue), [stored]);
  return value;
}

/** The session while its token is valid; an expired one is dropped. */
export function currentSession(): Session | null {
  const s = session.get();
  if (s && s.expiresAt <= Date.now()) {
    session.set(null);
    return null;
  }
  return s;
}

export function addToCart(line: Omit<CartLine, 'quantity'>, quantity: number): void {
  const lines = cart.get();
  const existing = lines.find((l) => l.productId === line.productId);
  cart.set(
    existing
      ? lines.map((l) => (l.productId === line.productId ? { ...l, quantity: l.quantity + quantity } : l))
      : [...lines, { ...line, quantity }],
  );
}
