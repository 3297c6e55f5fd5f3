import { clusterAddressing, KUBERNETES_NAMESPACE, serviceWiring, shop } from '../../lib/platform';
import { tracingConfigShape } from '../../lib/runtime/tracing';
import { configShape as gateway } from '../../services/api-gateway/config';
import { configShape as orders } from '../../services/order-service/config';
import { configShape as payments } from '../../services/payment-service/config';
import { configShape as products } from '../../services/product-service/config';
import { configShape as storefront } from '../../services/storefront/config';
import { configShape as users } from '../../services/user-service/config';
import { UNSET_IN_KUBERNETES } from '../conventions';
import { type Json, named, podSpec, synth } from './helpers';

/** What each container reads: the keys of the schema its configuration is parsed with, and the kit's tracing. */
const READ: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries({
    'api-gateway': gateway,
    'order-service': orders,
    'payment-service': payments,
    'product-service': products,
    'user-service': users,
    storefront,
  }).map(([name, shape]) => [name, [...Object.keys(shape), ...Object.keys(tracingConfigShape)]]),
);

const dev = synth();

function variablesSet(service: string): Set<string> {
  const container = podSpec(named(dev.platform, 'Deployment', service)).containers[0];
  const fromConfigMaps = (container.envFrom as Json[]).flatMap((source) =>
    Object.keys((named(dev.platform, 'ConfigMap', source.configMapRef.name) as Json).data),
  );
  return new Set([...fromConfigMaps, ...(container.env as Json[]).map((e) => e.name)]);
}

describe('environment variables', () => {
  test('every container of the catalog has its configuration schema here', () => {
    expect(Object.keys(READ).sort()).toEqual(shop.containers.map((s) => s.name).sort());
  });

  test.each(shop.containers.map((s) => [s.name] as const))('%s: its container gets its wiring', (name) => {
    const data = (named(dev.platform, 'ConfigMap', `${name}-config`) as Json).data;
    expect(data).toMatchObject(serviceWiring(shop, name, clusterAddressing()));
    // What it reads beyond the wiring has a default in its schema, comes from a Secret, or is deliberately unset.
    const set = variablesSet(name);
    expect((READ[name] ?? []).filter((v) => !set.has(v) && v in (UNSET_IN_KUBERNETES[name] ?? {}))).toEqual(
      Object.keys(UNSET_IN_KUBERNETES[name] ?? {}),
    );
  });

  test.each(shop.containers.map((s) => [s.name] as const))('%s: every wiring variable is one it reads', (name) => {
    const wiring = Object.keys(serviceWiring(shop, name, clusterAddressing()));
    expect(wiring.filter((v) => !READ[name]?.includes(v))).toEqual([]);
  });

  test('settings a service has a default for are not repeated in the manifests', () => {
    const config = (name: string) => (named(dev.platform, 'ConfigMap', `${name}-config`) as Json).data;
    expect(config('api-gateway')).not.toHaveProperty('UPSTREAM_TIMEOUT_MS');
    expect(config('order-service')).not.toHaveProperty('DOWNSTREAM_TIMEOUT_MS');
    expect(config('product-service')).not.toHaveProperty('SEED_DEMO_PRODUCTS');
  });

  test('ports, peers and topics come from the catalog', () => {
    const config = (name: string) => (named(dev.platform, 'ConfigMap', `${name}-config`) as Json).data;
    expect(config('user-service')).toMatchObject({ GRPC_PORT: '50051', METRICS_PORT: '9151', LOG_LEVEL: 'info' });
    expect(config('api-gateway')).toMatchObject({
      HTTP_PORT: '8080',
      USER_SERVICE_ADDR: `user-service.${KUBERNETES_NAMESPACE}.svc.cluster.local:50051`,
      PRODUCT_SERVICE_ADDR: `product-service.${KUBERNETES_NAMESPACE}.svc.cluster.local:50052`,
      ORDER_SERVICE_ADDR: `order-service.${KUBERNETES_NAMESPACE}.svc.cluster.local:50053`,
    });
    expect(config('order-service')).toMatchObject({
      GRPC_PORT: '50053',
      HTTP_PORT: '8003',
      PRODUCT_SERVICE_ADDR: `product-service.${KUBERNETES_NAMESPACE}.svc.cluster.local:50052`,
      PAYMENT_SERVICE_ADDR: `payment-service.${KUBERNETES_NAMESPACE}.svc.cluster.local:50054`,
      KAFKA_TOPIC_ORDERS: 'orders',
      KAFKA_MSK_IAM_REGION: 'eu-west-1',
    });
    expect(config('payment-service')).toMatchObject({ GRPC_PORT: '50054', METRICS_PORT: '9154' });
  });

  test('secrets come from Secrets kept by External Secrets, never from a ConfigMap', () => {
    for (const s of shop.containers) {
      const container = podSpec(named(dev.platform, 'Deployment', s.name)).containers[0];
      const data = (named(dev.platform, 'ConfigMap', `${s.name}-config`) as Json).data;
      expect(Object.keys(data)).not.toEqual(expect.arrayContaining(['DATABASE_URL']));
      expect(Object.keys(data)).not.toEqual(expect.arrayContaining(['JWT_SECRET']));
      const database = (container.env as Json[]).find((e) => e.name === 'DATABASE_URL');
      if (s.owns.some((d) => d.kind === 'postgres')) {
        expect(database.valueFrom.secretKeyRef).toEqual({ name: `${s.name}-database`, key: 'DATABASE_URL' });
      } else expect(database).toBeUndefined();
      const jwt = (container.env as Json[]).find((e) => e.name === 'JWT_SECRET');
      if (s.secrets?.includes('jwt-signing-key')) {
        expect(jwt.valueFrom.secretKeyRef).toEqual({ name: 'jwt-signing-key', key: 'JWT_SECRET' });
      }
    }
  });

  test('a changed setting changes the pod template, so the pods roll', () => {
    const hash = (s: ReturnType<typeof synth>) =>
      (named(s.platform, 'Deployment', 'user-service') as Json).spec.template.metadata.annotations[
        'shopfront.io/config-hash'
      ];
    expect(hash(synth(shop, 'dev', { dev: { logLevel: 'debug' } }))).not.toBe(hash(dev));
  });

  test('a setting given for an environment reaches that service only, and rolls its pods', () => {
    const tuned = synth(shop, 'dev', {
      dev: { serviceSettings: { 'order-service': { DOWNSTREAM_TIMEOUT_MS: '3000' } } },
    });
    const data = (s: ReturnType<typeof synth>, name: string) =>
      (named(s.platform, 'ConfigMap', `${name}-config`) as Json).data;
    expect(data(tuned, 'order-service')).toMatchObject({ DOWNSTREAM_TIMEOUT_MS: '3000' });
    expect(data(tuned, 'payment-service')).toEqual(data(dev, 'payment-service'));
    const hash = (s: ReturnType<typeof synth>) =>
      (named(s.platform, 'Deployment', 'order-service') as Json).spec.template.metadata.annotations[
        'shopfront.io/config-hash'
      ];
    expect(hash(tuned)).not.toBe(hash(dev));
  });

  test.each([
    ['PRODUCT_SERVICE_ADDR', 'order-service'],
    ['JWT_SECRET', 'order-service'],
    ['DATABASE_URL', 'payment-service'],
    ['KAFKA_BROKERS', 'order-service'],
  ])('a setting may not replace %s, which the platform sets for %s', (variable, service) => {
    expect(() => synth(shop, 'dev', { dev: { serviceSettings: { [service]: { [variable]: 'x' } } } })).toThrow(
      `'serviceSettings[${service}].${variable}' must be a setting of the service, not a variable the platform sets`,
    );
  });

  test('a setting for an unknown service or with a malformed name is refused, naming it', () => {
    expect(() => synth(shop, 'dev', { dev: { serviceSettings: { 'basket-service': { X: '1' } } } })).toThrow(
      /'serviceSettings' must be a container of the catalog \(api-gateway, .*\), got "basket-service"/,
    );
    expect(() => synth(shop, 'dev', { dev: { serviceSettings: { 'order-service': { 'bad-name': '1' } } } })).toThrow(
      "'serviceSettings[order-service].bad-name' must be a string value of an UPPER_SNAKE variable",
    );
  });
});
