import { useCallback, useState } from 'preact/hooks';
import type { ApiError } from './api';
import { Notice } from './components';
import { OrderStatus, useLiveOrders } from './live-orders';
import { formatMoney } from './money';
import type { Order } from './shop';

const PAGE_SIZE = 10;

interface AdminOrder extends Order {
  readonly userId: string;
}

/** The first block of a UUID: enough for a person to tell orders and customers apart at a glance. */
const short = (id: string) => id.slice(0, 8);

/**
 * Every customer's orders, newest first, a page at a time, each in its live state: the page asks again every few
 * seconds (every second while an order is still being placed).
 */
export function RecentOrders(props: { token: string; onDenied: () => void }) {
  // The cursors of the pages before this one: Previous goes back without the API keeping any state.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const { token, onDenied } = props;
  const cursor = cursors[cursors.length - 1];
  const refused = useCallback(
    (error: ApiError) => {
      if (error.status !== 403) return false;
      onDenied();
      return true;
    },
    [onDenied],
  );
  const { page, problem } = useLiveOrders<AdminOrder>(
    `/admin/orders?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    token,
    refused,
    'The orders could not be loaded just now; trying again.',
  );

  const pageNumber = cursors.length;
  return (
    <section aria-labelledby="recent-orders">
      <h2 id="recent-orders">Recent orders</h2>
      {problem && <Notice kind="error">{problem}</Notice>}
      {!page && !problem && <p>Loading the orders…</p>}
      {page?.items.length === 0 && <p>No orders yet.</p>}
      {page && page.items.length > 0 && (
        <table class="orders">
          <caption class="visually-hidden">
            Every customer's orders, newest first, page {pageNumber}; the status updates by itself
          </caption>
          <thead>
            <tr>
              <th scope="col">Placed</th>
              <th scope="col">Order</th>
              <th scope="col">Customer</th>
              <th scope="col">Units</th>
              <th scope="col">Total</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody aria-live="polite">
            {page.items.map((o) => (
              <tr key={o.id} data-order-id={o.id}>
                <td>{new Date(o.createdAt).toLocaleString('en-GB')}</td>
                <td>
                  <abbr title={o.id}>{short(o.id)}</abbr>
                </td>
                <td>
                  <abbr title={o.userId}>{short(o.userId)}</abbr>
                </td>
                <td>{o.items.reduce((sum, i) => sum + i.quantity, 0)}</td>
                <td>{o.total ? formatMoney(o.total) : '—'}</td>
                <td>
                  <OrderStatus order={o} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages of orders">
        <button type="button" disabled={pageNumber === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer orders
        </button>
        <span>Page {pageNumber}</span>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => {
            if (!page?.nextCursor) return;
            setCursors([...cursors, page.nextCursor]);
          }}
        >
          Older orders
        </button>
      </nav>
    </section>
  );
}
