import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, fieldErrors } from './api';
import { Field, fieldId, Notice } from './components';
import { formatMoney, parsePrice } from './money';
import type { Product } from './shop';

/** Pages of the catalogue read for the console's product picker, at most. */
const MAX_PAGES = 20;

/** Every product of the catalogue, a page of 100 at a time (the API's largest page). */
async function allProducts(): Promise<Product[]> {
  const products: Product[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const answer: { items: Product[]; nextCursor: string | null } = await api(`/products?limit=100${query}`);
    products.push(...answer.items);
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  return products;
}

/** The API's field at fault -> the input it is shown beside. */
const INPUT_OF: Readonly<Record<string, string>> = {
  price: 'price.amount',
  'price.amount': 'price.amount',
  'price.currency': 'price.amount',
  stockDelta: 'stockDelta',
  id: 'id',
};

/**
 * Sets a product's price and/or adds or removes units of its stock. Units are an adjustment, as the API takes them:
 * an order placed while the operator types is never undone by the change.
 */
export function ChangeProduct(props: { token: string; onDenied: () => void; version: number; onChanged: () => void }) {
  const [products, setProducts] = useState<Product[] | undefined>();
  const [loadProblem, setLoadProblem] = useState(false);
  const [selected, setSelected] = useState('');
  const [price, setPrice] = useState('');
  const [units, setUnits] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<{ kind: 'error' | 'success'; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const { version } = props;

  useEffect(() => {
    let live = true;
    allProducts().then(
      (items) => {
        if (!live) return;
        setProducts(items);
        setLoadProblem(false);
        setSelected((current) => (items.some((p) => p.id === current) ? current : (items[0]?.id ?? '')));
      },
      () => live && setLoadProblem(true),
    );
    return () => {
      live = false;
    };
  }, [version]);

  const product = products?.find((p) => p.id === selected);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy || !product) return;
    setErrors({});
    setOutcome(undefined);
    const change: { price?: { amount: number; currency: string }; stockDelta?: unknown } = {};
    if (price.trim() !== '') {
      const amount = parsePrice(price, product.price.currency);
      if (amount === undefined) {
        setErrors({ 'price.amount': 'Enter a price such as 19.99, or leave it empty to keep the price.' });
        return;
      }
      change.price = { amount, currency: product.price.currency };
    }
    if (units.trim() !== '') {
      const delta = Number(units);
      // Sent as typed when it is not a number: the API says what a change of stock may be.
      change.stockDelta = units.trim() !== '' && Number.isFinite(delta) ? delta : units;
    }
    setBusy(true);
    try {
      const changed = await api<Product>(`/products/${encodeURIComponent(product.id)}`, {
        method: 'PATCH',
        token: props.token,
        body: change,
      });
      setPrice('');
      setUnits('');
      setProducts((list) => list?.map((p) => (p.id === changed.id ? changed : p)));
      setOutcome({
        kind: 'success',
        text: `Changed "${changed.name}": ${formatMoney(changed.price)}, ${changed.stock} in stock.`,
      });
      props.onChanged();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 403) {
        props.onDenied();
        return;
      }
      const fields = Object.fromEntries(
        Object.entries(fieldErrors(error)).map(([field, text]) => [INPUT_OF[field] ?? field, text]),
      );
      if (error.status === 404) fields.id = 'This product no longer exists.';
      setErrors(fields);
      setOutcome({
        kind: 'error',
        text:
          Object.keys(fields).length > 0
            ? 'Please correct the highlighted field.'
            : 'The product could not be changed just now.',
      });
    } finally {
      setBusy(false);
    }
  };

  const selectId = fieldId('change-id');
  return (
    <section aria-labelledby="change-product">
      <h2 id="change-product">Change a product's price or stock</h2>
      {loadProblem && <Notice kind="error">The products could not be loaded just now.</Notice>}
      {outcome && <Notice kind={outcome.kind}>{outcome.text}</Notice>}
      {products && products.length === 0 && <p>There are no products yet.</p>}
      {products && products.length > 0 && (
        <form noValidate onSubmit={submit}>
          <div class={errors.id ? 'field field-invalid' : 'field'}>
            <label for={selectId}>Product</label>
            <select
              id={selectId}
              name="id"
              value={selected}
              aria-invalid={errors.id ? 'true' : undefined}
              aria-describedby={[`${selectId}-now`, errors.id ? `${selectId}-error` : ''].filter(Boolean).join(' ')}
              onChange={(e) => {
                setSelected((e.currentTarget as HTMLSelectElement).value);
                setErrors({});
                setOutcome(undefined);
              }}
            >
              {products.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
            {product && (
              <p class="hint" id={`${selectId}-now`}>
                Now {formatMoney(product.price)}, {product.stock} in stock.
              </p>
            )}
            {errors.id && (
              <p class="error" id={`${selectId}-error`}>
                {errors.id}
              </p>
            )}
          </div>
          <Field
            scope="change"
            name="price.amount"
            label="New price"
            inputMode="decimal"
            hint={`In ${product?.price.currency ?? 'the product’s currency'}; leave empty to keep the price.`}
            value={price}
            onInput={setPrice}
            error={errors['price.amount']}
          />
          <Field
            scope="change"
            name="stockDelta"
            label="Units to add or remove"
            type="number"
            hint="For example 10 to add ten, or -3 to remove three; leave empty to keep the stock."
            value={units}
            onInput={setUnits}
            error={errors.stockDelta}
          />
          <button type="submit" disabled={busy}>
            Save change
          </button>
        </form>
      )}
    </section>
  );
}
