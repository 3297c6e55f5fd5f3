import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from './api';
import { failureWords, STATUS_WORDS } from './outcomes';
import type { Order } from './shop';

/** A page of orders as the API lists them. */
export interface OrderPage<T extends Order> {
  readonly items: T[];
  readonly nextCursor?: string | null;
}

/**
 * A page of orders kept live: `path` is asked again every second while one of its orders is being placed
 * (PENDING), every five seconds otherwise, and five seconds after a failed answer, which shows `failure`. An API
 * refusal for which `refused` answers true ends the asking (the caller has signed out or is not allowed). A new
 * `path` or `token` starts over from no page.
 */
export function useLiveOrders<T extends Order>(
  path: string | undefined,
  token: string | undefined,
  refused: (error: ApiError) => boolean,
  failure: string,
): { page?: OrderPage<T>; problem?: string } {
  const [page, setPage] = useState<OrderPage<T> | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  useEffect(() => {
    setPage(undefined);
    if (!path || !token) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const answer = await api<OrderPage<T>>(path, { token });
        if (!live) return;
        setPage(answer);
        setProblem(undefined);
        timer = setTimeout(load, answer.items.some((o) => o.status === 'PENDING') ? 1000 : 5000);
      } catch (error) {
        if (!live) return;
        if (error instanceof ApiError && refused(error)) return;
        setProblem(failure);
        timer = setTimeout(load, 5000);
      }
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path, token, refused, failure]);
  return { page, problem };
}

/** An order's state in words, with the reason a failed one failed. */
export function OrderStatus(props: { order: Order }) {
  const o = props.order;
  return (
    <>
      <span class={`status status-${o.status.toLowerCase()}`}>{STATUS_WORDS[o.status] ?? o.status}</span>
      {o.status === 'FAILED' && o.failureCode && (
        <span class="why"> {failureWords(o.failureCode, { declineCode: o.declineCode })}</span>
      )}
    </>
  );
}
