import { shop } from './index';

describe('PlatformQuery lookups', () => {
  it('gives the number of a named port of a service', () => {
    expect(shop.port('api-gateway', 'http')).toBe(8080);
    expect(shop.port('order-service', 'grpc')).toBe(50053);
    expect(shop.port('payment-service', 'metrics')).toBe(9154);
  });

  it('refuses a port the service does not declare, naming both', () => {
    expect(() => shop.port('order-service', 'metrics')).toThrow(
      "the catalog gives order-service no port named 'metrics'",
    );
    expect(() => shop.port('no-such-service', 'http')).toThrow("unknown service 'no-such-service'");
  });

  it('gives the postgres database a service owns', () => {
    expect(shop.postgresDatabase('order-service')).toBe('orders');
    expect(shop.postgresDatabase('payment-service')).toBe('payments');
    expect(shop.postgresDatabase('product-service')).toBe('products');
  });

  it("gives a stream job's windows and refuses a service that has none", () => {
    expect(shop.streamWindow('analytics')).toEqual({ windowMs: 60_000, outOfOrdernessMs: 5000, idleTimeoutMs: 10_000 });
    expect(() => shop.streamWindow('order-service')).toThrow(
      'the catalog gives order-service no window (it is not a stream job)',
    );
  });

  it('refuses a service that owns no postgres database', () => {
    expect(() => shop.postgresDatabase('api-gateway')).toThrow('the catalog gives api-gateway no postgres database');
  });
});
