import { useEffect, useState } from 'preact/hooks';

/** Pages live in the fragment (`#/product/<id>`): the server serves one document, whatever the page. */
export type Route =
  | { readonly page: 'catalogue' }
  | { readonly page: 'product'; readonly id: string }
  | { readonly page: 'cart' }
  | { readonly page: 'orders' }
  | { readonly page: 'sign-in' }
  | { readonly page: 'sign-up' }
  | { readonly page: 'console' }
  | { readonly page: 'not-found' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const product = /^\/product\/([0-9a-fA-F-]{1,64})$/.exec(path);
  if (product?.[1]) return { page: 'product', id: product[1] };
  const pages: Record<string, Route> = {
    '/': { page: 'catalogue' },
    '/cart': { page: 'cart' },
    '/orders': { page: 'orders' },
    '/sign-in': { page: 'sign-in' },
    '/sign-up': { page: 'sign-up' },
    '/console': { page: 'console' },
  };
  return pages[path] ?? { page: 'not-found' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export const navigate = (hash: string): void => {
  location.hash = hash;
};
