/** `order-service` -> `OrderService`: stable construct ids derived from catalog names. */
export const pascal = (name: string): string =>
  name
    .split(/[-_.]/)
    .map((part) => (part[0]?.toUpperCase() ?? '') + part.slice(1))
    .join('');

/** `order-service` -> `order_service`: the PostgreSQL role of a service. */
export const sqlRole = (service: string): string => service.replace(/-/g, '_');
