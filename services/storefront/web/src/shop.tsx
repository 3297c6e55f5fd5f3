import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, fieldErrors } from './api';
import { CheckoutAttempts } from './checkout-attempts';
import { Field, fieldId, Notice, Page } from './components';
import { OrderStatus, useLiveOrders } from './live-orders';
import { formatMoney, type Money } from './money';
import { failureWords, orderErrorWords, STATUS_WORDS } from './outcomes';
import { addToCart, type CartLine, cart, currentSession, session, useStored } from './state';

export interface Product {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly price: Money;
  readonly stock: number;
}

export interface Order {
  readonly id: string;
  readonly status: 'PENDING' | 'CONFIRMED' | 'FAILED';
  readonly items: readonly { productId: string; quantity: number; unitPrice: Money | null }[];
  readonly total: Money | null;
  readonly failureCode: string | null;
  readonly declineCode: string | null;
  readonly createdAt: string;
}

const PAGE_SIZE = 12;

const stockWords = (stock: number) => (stock > 0 ? `${stock} in stock` : 'Out of stock');

function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: unknown } {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  useEffect(() => {
    let live = true;
    setState({});
    load().then(
      (data) => live && setState({ data }),
      (error: unknown) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return state;
}

const unavailable = <Notice kind="error">The shop could not load this just now. Please try again in a moment.</Notice>;

export function Catalogue() {
  // The cursors of the pages seen so far: "Previous" goes back one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const { data, error } = useLoad(
    () =>
      api<{ items: Product[]; nextCursor: string | null }>(
        `/products?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
    [cursor],
  );
  const [added, setAdded] = useState<string | undefined>();
  return (
    <Page title="Catalogue">
      {error ? unavailable : null}
      {!data && !error ? <p>Loading the catalogue…</p> : null}
      {added && <Notice kind="success">Added "{added}" to your cart.</Notice>}
      {data && (
        <>
          <ul class="products">
            {data.items.map((p) => (
              <li class="product" key={p.id}>
                <h2>
                  <a href={`#/product/${p.id}`}>{p.name}</a>
                </h2>
                <p class="price">{formatMoney(p.price)}</p>
                <p class={p.stock > 0 ? 'stock' : 'stock stock-out'}>{stockWords(p.stock)}</p>
                <button
                  type="button"
                  disabled={p.stock === 0}
                  onClick={() => {
                    addToCart({ productId: p.id, name: p.name, unitPrice: p.price }, 1);
                    setAdded(p.name);
                  }}
                >
                  {/* The visible words first, so speech input ("click Add to cart") finds the button. */}
                  Add to cart<span class="visually-hidden">: {p.name}</span>
                </button>
              </li>
            ))}
          </ul>
          <nav class="pager" aria-label="Catalogue pages">
            <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </button>
            <span>Page {cursors.length}</span>
            <button
              type="button"
              disabled={!data.nextCursor}
              onClick={() => data.nextCursor && setCursors([...cursors, data.nextCursor])}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </Page>
  );
}

export function ProductPage(props: { id: string }) {
  const { data, error } = useLoad(() => api<Product>(`/products/${encodeURIComponent(props.id)}`), [props.id]);
  const [quantity, setQuantity] = useState('1');
  const [problem, setProblem] = useState<string | undefined>();
  const [added, setAdded] = useState(false);
  if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
    return (
      <Page title="Product not found">
        <p>
          We do not sell this product (any more). <a href="#/">Back to the catalogue</a>
        </p>
      </Page>
    );
  }
  return (
    <Page title={data?.name ?? 'Product'}>
      {error ? unavailable : null}
      {data && (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(quantity);
            if (!Number.isInteger(n) || n < 1) {
              setProblem('Enter a whole number of at least 1.');
              return;
            }
            setProblem(undefined);
            addToCart({ productId: data.id, name: data.name, unitPrice: data.price }, n);
            setAdded(true);
          }}
        >
          <p>{data.description}</p>
          <p class="price">{formatMoney(data.price)}</p>
          <p class={data.stock > 0 ? 'stock' : 'stock stock-out'}>{stockWords(data.stock)}</p>
          <Field
            name="quantity"
            label="Quantity"
            type="number"
            inputMode="numeric"
            value={quantity}
            onInput={setQuantity}
            error={problem}
          />
          <button type="submit" disabled={data.stock === 0}>
            Add to cart
          </button>
          {added && (
            <Notice kind="success">
              Added to your cart. <a href="#/cart">Go to the cart</a>
            </Notice>
          )}
        </form>
      )}
    </Page>
  );
}

/** Stripe's test tokens the payment service knows, in words a tester picks from. */
export const TEST_CARDS: readonly { token: string; label: string }[] = [
  { token: 'tok_visa', label: 'Visa test card (succeeds)' },
  { token: 'tok_mastercard', label: 'Mastercard test card (succeeds)' },
  { token: 'tok_chargeDeclined', label: 'Test card that is declined' },
  { token: 'tok_chargeDeclinedInsufficientFunds', label: 'Test card declined for insufficient funds' },
  { token: 'tok_chargeDeclinedProcessingError', label: 'Test card with a processing error' },
  { token: 'tok_slow', label: 'Slow test card (succeeds after a few seconds)' },
];

export function CartPage() {
  const lines = useStored(cart);
  const signedIn = useStored(session);
  const [card, setCard] = useState(TEST_CARDS[0]?.token ?? 'tok_visa');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<{ kind: 'error' | 'success'; text: string; orderId?: string } | undefined>();
  const attempts = useRef(new CheckoutAttempts());
  const total = lines.reduce((sum, l) => sum + l.unitPrice.amount * (Number.isFinite(l.quantity) ? l.quantity : 0), 0);
  const currency = lines[0]?.unitPrice.currency ?? 'EUR';

  const setQuantity = (productId: string, text: string) =>
    cart.set(
      lines.map((l) => (l.productId === productId ? { ...l, quantity: text === '' ? Number.NaN : Number(text) } : l)),
    );

  const placeOrder = async () => {
    // A second press while the first is on its way is the same attempt: the button is disabled meanwhile.
    if (busy) return;
    const s = currentSession();
    if (!s) {
      setOutcome({ kind: 'error', text: failureWords('UNAUTHENTICATED') });
      return;
    }
    const body = {
      items: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
      paymentToken: card,
    };
    const key = attempts.current.keyFor(body);
    setBusy(true);
    setErrors({});
    setOutcome(undefined);
    try {
      const order = await api<Order>('/orders', {
        method: 'POST',
        body,
        token: s.token,
        headers: { 'Idempotency-Key': key },
      });
      attempts.current.answered();
      cart.set([]);
      setOutcome({
        kind: 'success',
        text: `Thank you! Your order is ${STATUS_WORDS[order.status]?.toLowerCase() ?? order.status}.`,
        orderId: order.id,
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (!error.mayRepeat) attempts.current.answered();
      if (error.status === 401) session.set(null);
      setErrors(fieldErrors(error));
      setOutcome({ kind: 'error', text: orderErrorWords(error, (i) => lines[i]?.name) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Your cart">
      {outcome && (
        <Notice kind={outcome.kind}>
          {outcome.text} {outcome.orderId && <a href="#/orders">See your orders</a>}
        </Notice>
      )}
      {lines.length === 0 ? (
        <p>
          Your cart is empty. <a href="#/">Browse the catalogue</a>
        </p>
      ) : (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void placeOrder();
          }}
        >
          <table class="cart">
            <caption class="visually-hidden">Products in your cart</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Price</th>
                <th scope="col">Quantity</th>
                <th scope="col">
                  <span class="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.map((line: CartLine, i) => (
                <tr key={line.productId}>
                  <th scope="row">{line.name}</th>
                  <td>{formatMoney(line.unitPrice)}</td>
                  <td>
                    <Field
                      name={`items[${i}].quantity`}
                      label={`Quantity of ${line.name}`}
                      type="number"
                      inputMode="numeric"
                      value={Number.isFinite(line.quantity) ? String(line.quantity) : ''}
                      onInput={(v) => setQuantity(line.productId, v)}
                      error={errors[`items[${i}].quantity`] ?? errors[`items[${i}]`]}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Remove ${line.name}`}
                      onClick={() => cart.set(lines.filter((l) => l.productId !== line.productId))}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="total">Total: {formatMoney({ amount: total, currency })}</p>
          {signedIn ? (
            <fieldset>
              <legend>Checkout</legend>
              <label for={fieldId('paymentToken')}>Card</label>
              <select
                id={fieldId('paymentToken')}
                value={card}
                aria-describedby={errors.paymentToken ? `${fieldId('paymentToken')}-error` : undefined}
                onChange={(e) => setCard((e.currentTarget as HTMLSelectElement).value)}
              >
                {TEST_CARDS.map((c) => (
                  <option key={c.token} value={c.token}>
                    {c.label} ({c.token})
                  </option>
                ))}
              </select>
              {errors.paymentToken && (
                <p class="error" id={`${fieldId('paymentToken')}-error`}>
                  {errors.paymentToken}
                </p>
              )}
              <button type="submit" disabled={busy} aria-busy={busy}>
                {busy ? 'Placing your order…' : 'Place order'}
              </button>
            </fieldset>
          ) : (
            <p>
              <a href="#/sign-in">Sign in</a> or <a href="#/sign-up">create an account</a> to check out.
            </p>
          )}
        </form>
      )}
    </Page>
  );
}

/** A signed-out answer ends the session, and the page asks the person to sign in again. */
const signOutOnRefusal = (error: ApiError): boolean => {
  if (error.status !== 401) return false;
  session.set(null);
  return true;
};

export function OrdersPage() {
  const signedIn = useStored(session);
  const { page, problem } = useLiveOrders<Order>(
    signedIn ? '/orders?limit=20' : undefined,
    signedIn?.token,
    signOutOnRefusal,
    'Your orders could not be loaded just now; trying again.',
  );
  const orders = page?.items;
  const [names, setNames] = useState<Record<string, string>>({});
  // Each product's name is asked for once, however often the list refreshes.
  const asked = useRef(new Set<string>());

  useEffect(() => {
    for (const id of new Set((orders ?? []).flatMap((o) => o.items.map((i) => i.productId)))) {
      if (asked.current.has(id)) continue;
      asked.current.add(id);
      api<Product>(`/products/${encodeURIComponent(id)}`).then(
        (p) => setNames((n) => ({ ...n, [id]: p.name })),
        () => undefined,
      );
    }
  }, [orders]);

  if (!signedIn) {
    return (
      <Page title="Your orders">
        <p>
          <a href="#/sign-in">Sign in</a> to see your orders.
        </p>
      </Page>
    );
  }
  return (
    <Page title="Your orders">
      {problem && <Notice kind="error">{problem}</Notice>}
      {orders?.length === 0 && <p>You have no orders yet.</p>}
      {orders && orders.length > 0 && (
        <table class="orders">
          <caption class="visually-hidden">Your orders, newest first; the status updates by itself</caption>
          <thead>
            <tr>
              <th scope="col">Placed</th>
              <th scope="col">Products</th>
              <th scope="col">Total</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody aria-live="polite">
            {orders.map((o) => (
              <tr key={o.id} data-order-id={o.id}>
                <td>{new Date(o.createdAt).toLocaleString('en-GB')}</td>
                <td>{o.items.map((i) => `${i.quantity} × ${names[i.productId] ?? 'product'}`).join(', ')}</td>
                <td>{o.total ? formatMoney(o.total) : '—'}</td>
                <td>
                  <OrderStatus order={o} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
