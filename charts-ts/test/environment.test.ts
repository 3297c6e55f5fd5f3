import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { KUBERNETES_NAMESPACE, shop } from '../../lib/platform';
import { UNSET_IN_KUBERNETES } from '../conventions';
import { type Json, named, podSpec, synth } from './helpers';

/**
 * What a service reads, from its own code. A service whose `config.ts` exports its zod shape (`configShape`, the
 * object `loadConfig` parses) is asked for the shape's keys; one that does not is parsed for the keys of the object
 * literal passed to `loadConfig`. A service without `config.ts` yet (order-service, payment-service) is held to the
 * conventions (ports, peers, database, topics) by the other tests.
 */
async function variablesRead(service: string): Promise<string[] | undefined> {
  const file = path.join(__dirname, '..', '..', 'services', service, 'config.ts');
  if (!existsSync(file)) return undefined;
  const module = (await import(file)) as { configShape?: Record<string, unknown> };
  if (module.configShape) return Object.keys(module.configShape).sort();
  const text = readFileSync(file, 'utf8');
  const literal = /loadConfig\(\s*\{([\s\S]*?)\}\s*[,)]/.exec(text)?.[1] ?? '';
  return [...literal.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*:/gm)].map((m) => m[1] as string).sort();
}

const dev = synth();

function variablesSet(service: string): Set<string> {
  const container = podSpec(named(dev.platform, 'Deployment', service)).containers[0];
  const fromConfigMaps = (container.envFrom as Json[]).flatMap((source) =>
    Object.keys((named(dev.platform, 'ConfigMap', source.configMapRef.name) as Json).data),
  );
  return new Set([...fromConfigMaps, ...(container.env as Json[]).map((e) => e.name)]);
}

describe('environment variables', () => {
  test.each(shop.containers.map((s) => [s.name] as const))('%s: every variable it reads is set', async (name) => {
    const read = await variablesRead(name);
    if (read === undefined) return;
    const set = variablesSet(name);
    const unset = UNSET_IN_KUBERNETES[name] ?? {};
    const missing = read.filter((v) => !set.has(v) && !(v in unset));
    expect(missing).toEqual([]);
  });

  test('the config shapes are found for the services that have a config.ts', async () => {
    expect(await variablesRead('api-gateway')).toContain('USER_SERVICE_ADDR');
    expect(await variablesRead('user-service')).toContain('PASSWORD_HASH_MEMORY_KIB');
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
      KAFKA_BROKERS: expect.stringMatching(/:9098$/),
      KAFKA_MSK_IAM_REGION: 'eu-west-1',
    });
    expect(config('payment-service')).toMatchObject({ GRPC_PORT: '50054', METRICS_PORT: '9154' });
    expect(config('product-service')).toMatchObject({ SEED_DEMO_PRODUCTS: 'false' });
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
});
