import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from './api';
import { Notice } from './components';
import { formatMoney } from './money';
import { failureWords, STATUS_WORDS } from './outcomes';
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
  const [page, setPage] = useState<{ items: AdminOrder[]; nextCursor: string | null } | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const { token, onDenied } = props;
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      const query = `limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      try {
        const answer = await api<{ items: AdminOrder[]; nextCursor: string | null }>(`/admin/orders?${query}`, {
          token,
        });
        if (!live) return;
        setPage(answer);
        setProblem(undefined);
        timer = setTimeout(load, answer.items.some((o) => o.status === 'PENDING') ? 1000 : 5000);
      } catch (error) {
        if (!live) return;
        if (error instanceof ApiError && error.status === 403) {
          onDenied();
          return;
        }
        setProblem('The orders could not be loaded just now; trying again.');
        timer = setTimeout(load, 5000);
      }
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [cursor, token, onDenied]);

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
                  <span class={`status status-${o.status.toLowerCase()}`}>{STATUS_WORDS[o.status] ?? o.status}</span>
                  {o.status === 'FAILED' && o.failureCode && (
                    <span class="why"> {failureWords(o.failureCode, { declineCode: o.declineCode })}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages of orders">
        <button
          type="button"
          disabled={pageNumber === 1}
          onClick={() => {
            setPage(undefined);
            setCursors(cursors.slice(0, -1));
          }}
        >
          Newer orders
        </button>
        <span>Page {pageNumber}</span>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => {
            if (!page?.nextCursor) return;
            const next = page.nextCursor;
            setPage(undefined);
            setCursors([...cursors, next]);
          }}
        >
          Older orders
        </button>
      </nav>
    </section>
  );
}
