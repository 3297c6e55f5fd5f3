import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, api, fieldErrors } from './api';
import { ChangeProduct } from './change-product';
import { Field, Notice, Page } from './components';
import { formatMoney, parsePrice } from './money';
import { RecentOrders } from './recent-orders';
import { type MinuteSales, salesPerMinute, windowsOf } from './sales';
import type { Product } from './shop';
import { session, useStored } from './state';

const HOUR_MS = 3_600_000;

function NotAllowed() {
  return (
    <Page title="Not allowed">
      <p>The console is for the shop's operators, and your account is not one. Nothing was changed.</p>
      <p>
        <a href="#/">Back to the catalogue</a>
      </p>
    </Page>
  );
}

function AddProduct(props: { token: string; onDenied: () => void; onAdded: () => void }) {
  const empty = { name: '', description: '', price: '', currency: 'EUR', stock: '' };
  const [values, setValues] = useState(empty);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<{ kind: 'error' | 'success'; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof empty) => (value: string) => setValues({ ...values, [key]: value });

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setErrors({});
    setOutcome(undefined);
    const amount = parsePrice(values.price, values.currency || 'EUR');
    if (amount === undefined) {
      setErrors({ 'price.amount': 'Enter a price such as 19.99.' });
      return;
    }
    const stock = values.stock.trim() === '' ? Number.NaN : Number(values.stock);
    setBusy(true);
    try {
      const product = await api<Product>('/products', {
        method: 'POST',
        token: props.token,
        body: {
          name: values.name,
          description: values.description,
          price: { amount, currency: values.currency },
          // Sent as typed: the API says what a stock may be.
          stock: Number.isNaN(stock) ? values.stock : stock,
        },
      });
      setValues(empty);
      setOutcome({ kind: 'success', text: `Added "${product.name}" to the catalogue.` });
      props.onAdded();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 403) {
        props.onDenied();
        return;
      }
      const fields = fieldErrors(error);
      setErrors(fields);
      setOutcome({
        kind: 'error',
        text:
          Object.keys(fields).length > 0
            ? 'Please correct the highlighted field.'
            : 'The product could not be added just now.',
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="add-product">
      <h2 id="add-product">Add a product</h2>
      {outcome && <Notice kind={outcome.kind}>{outcome.text}</Notice>}
      <form noValidate onSubmit={submit}>
        <Field name="name" label="Name" value={values.name} onInput={set('name')} error={errors.name} />
        <Field
          name="description"
          label="Description"
          multiline
          value={values.description}
          onInput={set('description')}
          error={errors.description}
        />
        <Field
          name="price.amount"
          label="Price"
          inputMode="decimal"
          hint="For example 19.99"
          value={values.price}
          onInput={set('price')}
          error={errors['price.amount']}
        />
        <Field
          name="price.currency"
          label="Currency"
          value={values.currency}
          onInput={set('currency')}
          error={errors['price.currency']}
        />
        <Field
          name="stock"
          label="Stock"
          type="number"
          inputMode="numeric"
          value={values.stock}
          onInput={set('stock')}
          error={errors.stock}
        />
        <button type="submit" disabled={busy}>
          Add product
        </button>
      </form>
    </section>
  );
}

function SalesChart(props: { minutes: MinuteSales[] }) {
  const max = Math.max(1, ...props.minutes.map((m) => m.orders));
  const total = props.minutes.reduce((sum, m) => sum + m.orders, 0);
  const width = 600;
  const height = 160;
  const bar = width / props.minutes.length;
  const time = (start: number) => new Date(start).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return (
    <figure>
      <svg
        class="chart"
        viewBox={`0 0 ${width} ${height + 20}`}
        role="img"
        aria-label={`Orders per minute over the last hour: ${total} in all, at most ${max} in one minute`}
      >
        {props.minutes.map((m, i) => {
          const h = (m.orders / max) * height;
          return (
            <rect key={m.start} x={i * bar + 1} y={height - h} width={Math.max(1, bar - 2)} height={h} class="bar">
              <title>
                {time(m.start)}: {m.orders} orders
              </title>
            </rect>
          );
        })}
        <line x1="0" y1={height} x2={width} y2={height} class="axis" />
        <text x="0" y={height + 16} class="label">
          {props.minutes[0] ? time(props.minutes[0].start) : ''}
        </text>
        <text x={width} y={height + 16} class="label" text-anchor="end">
          {props.minutes.at(-1) ? time((props.minutes.at(-1) as MinuteSales).start) : ''}
        </text>
      </svg>
      <figcaption>Orders per minute, the last 60 closed minutes ({total} orders).</figcaption>
      <details>
        <summary>The figures of the minutes with orders</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Minute</th>
              <th scope="col">Orders</th>
              <th scope="col">Revenue</th>
            </tr>
          </thead>
          <tbody>
            {props.minutes
              .filter((m) => m.orders > 0)
              .map((m) => (
                <tr key={m.start}>
                  <td>{time(m.start)}</td>
                  <td>{m.orders}</td>
                  <td>
                    {Object.entries(m.revenue)
                      .map(([currency, amount]) => formatMoney({ amount, currency }))
                      .join(', ')}
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function Sales(props: { token: string; onDenied: () => void }) {
  const [state, setState] = useState<{ minutes?: MinuteSales[]; problem?: string }>({});
  const { token, onDenied } = props;
  useEffect(() => {
    let live = true;
    const load = async () => {
      const now = Date.now();
      const from = new Date(now - HOUR_MS - 60_000).toISOString();
      const to = new Date(now).toISOString();
      try {
        const answer = await api<unknown>(
          `/analytics/windows?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
          { token },
        );
        if (live) setState({ minutes: salesPerMinute(windowsOf(answer), now) });
      } catch (error) {
        if (!live || !(error instanceof ApiError)) return;
        if (error.status === 403) onDenied();
        else if (error.status === 404 || error.status === 501) {
          setState({ problem: 'Sales figures are not available on this platform yet.' });
        } else setState({ problem: 'Sales figures could not be loaded just now; trying again.' });
      }
    };
    void load();
    const timer = setInterval(load, 30_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [token, onDenied]);
  return (
    <section aria-labelledby="sales">
      <h2 id="sales">Sales in the last hour</h2>
      {state.problem && <Notice kind="info">{state.problem}</Notice>}
      {!state.minutes && !state.problem && <p>Loading the sales figures…</p>}
      {state.minutes && <SalesChart minutes={state.minutes} />}
    </section>
  );
}

export function ConsolePage() {
  const signedIn = useStored(session);
  const [denied, setDenied] = useState(false);
  const onDenied = useCallback(() => setDenied(true), []);
  // Bumped when the catalogue changes here, so the product picker reads it again.
  const [catalogueVersion, setCatalogueVersion] = useState(0);
  const catalogueChanged = useCallback(() => setCatalogueVersion((v) => v + 1), []);
  if (!signedIn) {
    return (
      <Page title="Operator's console">
        <p>
          <a href="#/sign-in">Sign in</a> with an operator's account to use the console.
        </p>
      </Page>
    );
  }
  if (denied || signedIn.user.role !== 'admin') return <NotAllowed />;
  return (
    <Page title="Operator's console">
      <AddProduct token={signedIn.token} onDenied={onDenied} onAdded={catalogueChanged} />
      <ChangeProduct
        token={signedIn.token}
        onDenied={onDenied}
        version={catalogueVersion}
        onChanged={catalogueChanged}
      />
      <RecentOrders token={signedIn.token} onDenied={onDenied} />
      <Sales token={signedIn.token} onDenied={onDenied} />
    </Page>
  );
}
