import { shop, TRACE_COLLECTOR } from './index';
import { clusterAddressing, localAddressing, needsCloudIdentity, serviceWiring } from './wiring';

describe('service wiring', () => {
  it('gives a caller its peers at their cluster DNS names and its ports as the catalog declares them', () => {
    expect(serviceWiring(shop, 'order-service', clusterAddressing())).toEqual({
      GRPC_PORT: '50053',
      HTTP_PORT: '8003',
      PRODUCT_SERVICE_ADDR: 'product-service.shopfront.svc.cluster.local:50052',
      PAYMENT_SERVICE_ADDR: 'payment-service.shopfront.svc.cluster.local:50054',
      KAFKA_TOPIC_ORDERS: 'orders',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.tracing.svc.cluster.local:4318',
    });
  });

  it('sends every service’s spans to the trace collector in a cluster, and names none on one machine', () => {
    for (const service of shop.containers) {
      expect(serviceWiring(shop, service, clusterAddressing())).toHaveProperty(
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        `http://${TRACE_COLLECTOR.serviceAccount}.${TRACE_COLLECTOR.namespace}.svc.cluster.local:${TRACE_COLLECTOR.otlpHttpPort}`,
      );
      expect(serviceWiring(shop, service, localAddressing())).not.toHaveProperty('OTEL_EXPORTER_OTLP_ENDPOINT');
    }
  });

  it('shifts every port by the offset on one machine, listening and dialling alike', () => {
    expect(serviceWiring(shop, 'api-gateway', localAddressing(13_000))).toEqual({
      HTTP_PORT: '21080',
      USER_SERVICE_ADDR: '127.0.0.1:63051',
      PRODUCT_SERVICE_ADDR: '127.0.0.1:63052',
      ORDER_SERVICE_ADDR: '127.0.0.1:63053',
    });
  });

  it('gives a caller of a peer without gRPC (the storefront of the gateway) the peer’s http port', () => {
    expect(serviceWiring(shop, 'storefront', clusterAddressing())).toEqual({
      HTTP_PORT: '8090',
      API_GATEWAY_SERVICE_ADDR: 'api-gateway.shopfront.svc.cluster.local:8080',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.tracing.svc.cluster.local:4318',
    });
  });

  it('gives a cloud identity only to services that read a secret, a database or a topic', () => {
    const withIdentity = shop.containers.filter(needsCloudIdentity).map((s) => s.name);
    expect(withIdentity).toEqual([
      'api-gateway',
      'user-service',
      'product-service',
      'order-service',
      'payment-service',
    ]);
    expect(needsCloudIdentity(shop.service('storefront'))).toBe(false);
  });

  it('names the consumer group of each topic a service consumes', () => {
    expect(serviceWiring(shop, 'analytics', localAddressing())).toMatchObject({
      KAFKA_TOPIC_ORDERS: 'orders',
      KAFKA_CONSUMER_GROUP_ORDERS: shop.consumerGroup('analytics', 'orders'),
    });
  });

  it('refuses an unknown service, naming the ones it knows', () => {
    expect(() => serviceWiring(shop, 'basket-service', clusterAddressing())).toThrow(
      /unknown service 'basket-service'; known: api-gateway/,
    );
  });

  it('refuses an offset that would push a port past 65535', () => {
    expect(() => localAddressing(20_000)).toThrow("'portOffset' must be an integer from 0 to 15000, got 20000");
  });
});
