import { platform } from './catalog';
import { PlatformQuery } from './query';
import type { Catalog } from './types';
import { CatalogError, defineCatalog, formatIssue, validateCatalog } from './validate';

type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

/** A deep, writable copy of the real catalog with one change applied. */
function broken(change: (c: Mutable<Catalog>) => void): Catalog {
  const copy = structuredClone(platform) as unknown as Mutable<Catalog>;
  change(copy);
  return copy as unknown as Catalog;
}

const svc = (c: Mutable<Catalog>, name: string) => {
  const found = c.services.find((s) => s.name === name);
  if (!found) throw new Error(`fixture has no ${name}`);
  return found;
};
const env = (c: Mutable<Catalog>, name: string) => {
  const found = c.environments.find((e) => e.name === name);
  if (!found) throw new Error(`fixture has no ${name}`);
  return found;
};

describe('the platform catalog', () => {
  it('is valid', () => {
    expect(validateCatalog(platform)).toEqual([]);
  });

  it('holds the seed facts: ports, topics, scaling', () => {
    const q = new PlatformQuery(platform);
    const port = (s: string, name: string) => q.service(s).ports.find((p) => p.name === name)?.port;
    expect(port('api-gateway', 'http')).toBe(8080);
    expect(port('user-service', 'grpc')).toBe(50051);
    expect(port('product-service', 'http')).toBe(8001);
    expect(port('order-service', 'grpc')).toBe(50053);
    expect(port('order-service', 'http')).toBe(8003);
    expect(port('payment-service', 'grpc')).toBe(50054);
    expect(q.producersOf('orders').map((s) => s.name)).toEqual(['order-service']);
    expect(q.consumersOf('orders').map((s) => s.name)).toEqual(['notification-lambda', 'analytics']);
    expect(q.producersOf('analytics-results').map((s) => s.name)).toEqual(['analytics']);
    expect(q.service('order-service').scaling).toEqual({
      minReplicas: 2,
      maxReplicas: 10,
      metric: { resource: 'cpu', targetUtilizationPercent: 70 },
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
      },
    });
    expect(q.service('payment-service').scaling).toEqual({
      minReplicas: 2,
      maxReplicas: 8,
      metric: { resource: 'memory', targetUtilizationPercent: 80 },
    });
  });

  it('differs per environment where it should', () => {
    const q = new PlatformQuery(platform);
    expect(q.environment('prod').deletionProtection).toBe(true);
    expect(q.environment('prod').database.multiAz).toBe(true);
    expect(q.environment('dev').database.multiAz).toBe(false);
    expect(q.environment('dev').network.natGateways).toBe(1);
    expect(q.environment('prod').logRetentionDays).toBeGreaterThan(q.environment('dev').logRetentionDays);
    expect(q.environment('prod').gcp.dataproc.maxWorkers).toBeGreaterThan(q.environment('dev').gcp.dataproc.maxWorkers);
    expect(new Set(q.environmentNames.map((e) => q.environment(e).gcp.projectId)).size).toBe(3);
  });

  it('derives the call graph with the callee ports', () => {
    const edges = new PlatformQuery(platform).callGraph;
    expect(edges).toContainEqual({ from: 'order-service', to: 'payment-service', ports: [50054, 9154] });
    expect(edges).toContainEqual({ from: 'storefront', to: 'api-gateway', ports: [8080] });
    expect(edges).toHaveLength(6);
  });

  it('names unknown services, topics and environments in query errors', () => {
    const q = new PlatformQuery(platform);
    expect(() => q.service('cart')).toThrow(/unknown service 'cart'; known: api-gateway/);
    expect(() => q.topic('carts')).toThrow(/unknown topic 'carts'/);
    expect(() => q.environment('qa')).toThrow(/unknown environment 'qa'/);
  });
});

describe('catalog validation rules', () => {
  const cases: [string, (c: Mutable<Catalog>) => void, { field: string; value: unknown; allowed: RegExp }][] = [
    [
      'duplicate port across services',
      (c) => {
        const ports = svc(c, 'payment-service').ports;
        if (ports[0]) ports[0].port = 50051;
      },
      { field: 'services[payment-service].ports[grpc].port', value: '50051', allowed: /unique among ports/ },
    ],
    [
      'duplicate port name within a service',
      (c) => {
        const ports = svc(c, 'order-service').ports;
        if (ports[1]) ports[1].name = 'grpc';
      },
      { field: 'services[order-service].ports[grpc].name', value: 'grpc', allowed: /unique among port names/ },
    ],
    [
      'port out of range',
      (c) => {
        const ports = svc(c, 'api-gateway').ports;
        if (ports[0]) ports[0].port = 80;
      },
      { field: 'services[api-gateway].ports[http].port', value: 80, allowed: /1024\.\.65535/ },
    ],
    [
      'duplicate service name',
      (c) => {
        svc(c, 'analytics').name = 'order-service';
      },
      { field: 'services[order-service].name', value: 'order-service', allowed: /unique among service names/ },
    ],
    [
      'service name not a DNS label',
      (c) => {
        svc(c, 'analytics').name = 'Analytics_Job';
      },
      { field: 'services[Analytics_Job].name', value: 'Analytics_Job', allowed: /DNS-1123/ },
    ],
    [
      'unknown peer',
      (c) => {
        svc(c, 'api-gateway').calls.push('cart-service');
      },
      { field: 'services[api-gateway].calls', value: 'cart-service', allowed: /one of the catalog's services/ },
    ],
    [
      'a service calling itself',
      (c) => {
        svc(c, 'order-service').calls.push('order-service');
      },
      { field: 'services[order-service].calls', value: 'order-service', allowed: /does not call itself/ },
    ],
    [
      'producing an undeclared topic',
      (c) => {
        svc(c, 'order-service').produces.push('order-events');
      },
      { field: 'services[order-service].produces', value: 'order-events', allowed: /a declared topic/ },
    ],
    [
      'consuming an undeclared topic',
      (c) => {
        svc(c, 'analytics').consumes.push('clicks');
      },
      { field: 'services[analytics].consumes', value: 'clicks', allowed: /a declared topic/ },
    ],
    [
      'topic nobody produces',
      (c) => {
        svc(c, 'analytics').produces = [];
      },
      { field: 'topics[analytics-results]', value: 'analytics-results', allowed: /produced by at least one service/ },
    ],
    [
      'min replicas above max',
      (c) => {
        const s = svc(c, 'payment-service').scaling;
        if (s) s.minReplicas = 9;
      },
      { field: 'services[payment-service].scaling.maxReplicas', value: 8, allowed: /minReplicas \(9\)/ },
    ],
    [
      'zero min replicas',
      (c) => {
        const s = svc(c, 'payment-service').scaling;
        if (s) s.minReplicas = 0;
      },
      { field: 'services[payment-service].scaling.minReplicas', value: 0, allowed: />= 1/ },
    ],
    [
      'utilization over 100%',
      (c) => {
        const s = svc(c, 'order-service').scaling;
        if (s) s.metric.targetUtilizationPercent = 170;
      },
      { field: 'services[order-service].scaling.metric.targetUtilizationPercent', value: 170, allowed: /1\.\.100/ },
    ],
    [
      'scaling policy with a zero period',
      (c) => {
        const p = svc(c, 'order-service').scaling?.behavior?.scaleUp.policies[0];
        if (p) p.periodSeconds = 0;
      },
      {
        field: 'services[order-service].scaling.behavior.scaleUp.policies[0].periodSeconds',
        value: 0,
        allowed: /1\.\.1800/,
      },
    ],
    [
      'container without scaling',
      (c) => {
        delete svc(c, 'user-service').scaling;
      },
      { field: 'services[user-service].scaling', value: undefined, allowed: /set for a container/ },
    ],
    [
      'container without resources',
      (c) => {
        delete svc(c, 'user-service').resources;
      },
      { field: 'services[user-service].resources', value: undefined, allowed: /set for a container/ },
    ],
    [
      'requests above limits',
      (c) => {
        const r = svc(c, 'api-gateway').resources;
        if (r) r.requests.memoryMiB = 1024;
      },
      {
        field: 'services[api-gateway].resources.requests.memoryMiB',
        value: 1024,
        allowed: /<= limits.memoryMiB \(512\)/,
      },
    ],
    [
      'a public Lambda',
      (c) => {
        svc(c, 'notification-lambda').public = true;
      },
      { field: 'services[notification-lambda].public', value: true, allowed: /only containers are exposed/ },
    ],
    [
      'two public services on one ingress path',
      (c) => {
        svc(c, 'storefront').ingressPath = '/api';
      },
      { field: 'services[storefront].ingressPath', value: '/api', allowed: /unique among ingress paths/ },
    ],
    [
      'an ingress path with a trailing slash',
      (c) => {
        svc(c, 'api-gateway').ingressPath = '/api/';
      },
      { field: 'services[api-gateway].ingressPath', value: '/api/', allowed: /without a trailing slash/ },
    ],
    [
      'an ingress path on a service that is not public',
      (c) => {
        svc(c, 'order-service').ingressPath = '/orders';
      },
      { field: 'services[order-service].ingressPath', value: '/orders', allowed: /unless the service is public/ },
    ],
    [
      'two owners of one database',
      (c) => {
        svc(c, 'payment-service').owns = [{ kind: 'postgres', database: 'orders' }];
      },
      { field: 'services[payment-service].owns[postgres:orders]', value: 'postgres:orders', allowed: /one owner each/ },
    ],
    [
      'database name that is not an SQL identifier',
      (c) => {
        svc(c, 'user-service').owns = [{ kind: 'postgres', database: 'user-db' }];
      },
      { field: 'services[user-service].owns.database', value: 'user-db', allowed: /SQL identifier/ },
    ],
    [
      'a secret name that is not a DNS label',
      (c) => {
        svc(c, 'user-service').secrets = ['JWT_KEY'];
      },
      { field: 'services[user-service].secrets', value: 'JWT_KEY', allowed: /DNS-1123/ },
    ],
    [
      'replication factor above the broker count',
      (c) => {
        const t = c.topics.find((x) => x.name === 'orders');
        if (t) t.replicationFactor = 4;
      },
      { field: 'topics[orders].replicationFactor', value: 4, allowed: /broker count of environment dev \(3\)/ },
    ],
    [
      'zero partitions',
      (c) => {
        const t = c.topics.find((x) => x.name === 'orders');
        if (t) t.partitions = 0;
      },
      { field: 'topics[orders].partitions', value: 0, allowed: /1\.\.1000/ },
    ],
    [
      'two availability zones',
      (c) => {
        env(c, 'dev').availabilityZones = ['eu-west-1a', 'eu-west-1b'];
      },
      { field: 'environments[dev].availabilityZones', value: ['eu-west-1a', 'eu-west-1b'], allowed: /exactly 3 zones/ },
    ],
    [
      'a zone of another region',
      (c) => {
        env(c, 'dev').availabilityZones = ['eu-west-1a', 'eu-west-1b', 'us-east-1a'];
      },
      { field: 'environments[dev].availabilityZones', value: 'us-east-1a', allowed: /a zone of eu-west-1/ },
    ],
    [
      'a VPC too small for nine subnets',
      (c) => {
        env(c, 'staging').network.cidr = '10.20.0.0/24';
      },
      { field: 'environments[staging].network.cidr', value: '10.20.0.0/24', allowed: /\/16\.\.\/20/ },
    ],
    [
      'no NAT gateway',
      (c) => {
        env(c, 'dev').network.natGateways = 0;
      },
      { field: 'environments[dev].network.natGateways', value: 0, allowed: /1\.\.3/ },
    ],
    [
      'prod without deletion protection',
      (c) => {
        env(c, 'prod').deletionProtection = false;
      },
      { field: 'environments[prod].deletionProtection', value: false, allowed: /true in prod/ },
    ],
    [
      'prod database in one zone',
      (c) => {
        env(c, 'prod').database.multiAz = false;
      },
      { field: 'environments[prod].database.multiAz', value: false, allowed: /true in prod/ },
    ],
    [
      'a log retention CloudWatch does not offer',
      (c) => {
        env(c, 'dev').logRetentionDays = 10;
      },
      { field: 'environments[dev].logRetentionDays', value: 10, allowed: /one of CloudWatch's retention values/ },
    ],
    [
      'storage autoscaling below the allocated size',
      (c) => {
        env(c, 'prod').database.maxAllocatedStorageGiB = 50;
      },
      {
        field: 'environments[prod].database.maxAllocatedStorageGiB',
        value: 50,
        allowed: /allocatedStorageGiB \(100\)/,
      },
    ],
    [
      'more desired nodes than the maximum',
      (c) => {
        env(c, 'dev').kubernetes.desiredNodes = 9;
      },
      { field: 'environments[dev].kubernetes.desiredNodes', value: 9, allowed: /minNodes\.\.maxNodes \(2\.\.4\)/ },
    ],
    [
      'duplicate environment',
      (c) => {
        env(c, 'staging').name = 'dev';
      },
      { field: 'environments[dev].name', value: 'dev', allowed: /unique among environment names/ },
    ],
    [
      'an MSK broker type that is not one',
      (c) => {
        env(c, 'dev').kafka.brokerInstanceType = 't3.small';
      },
      { field: 'environments[dev].kafka.brokerInstanceType', value: 't3.small', allowed: /MSK broker type/ },
    ],
    [
      'a GCP project id that is not one',
      (c) => {
        env(c, 'dev').gcp.projectId = 'Shopfront_Dev';
      },
      { field: 'environments[dev].gcp.projectId', value: 'Shopfront_Dev', allowed: /a GCP project id/ },
    ],
    [
      'two environments in one GCP project',
      (c) => {
        env(c, 'staging').gcp.projectId = env(c, 'dev').gcp.projectId;
      },
      {
        field: 'environments[staging].gcp.projectId',
        value: 'shopfront-analytics-dev',
        allowed: /unique among GCP projects/,
      },
    ],
    [
      'a GCP zone of another region',
      (c) => {
        env(c, 'dev').gcp.zone = 'us-central1-a';
      },
      { field: 'environments[dev].gcp.zone', value: 'us-central1-a', allowed: /a zone of europe-west1/ },
    ],
    [
      'a GCP subnet overlapping the AWS VPC',
      (c) => {
        env(c, 'dev').gcp.network.subnetCidr = '10.10.16.0/20';
      },
      {
        field: 'environments[dev].gcp.network.subnetCidr',
        value: '10.10.16.0/20',
        allowed: /does not overlap environments\[dev\]\.network\.cidr \(10\.10\.0\.0\/16\)/,
      },
    ],
    [
      'a Private Service Access range overlapping the subnet',
      (c) => {
        env(c, 'prod').gcp.network.privateServiceCidr = '10.130.0.0/16';
      },
      {
        field: 'environments[prod].gcp.network.privateServiceCidr',
        value: '10.130.0.0/16',
        allowed: /does not overlap environments\[prod\]\.gcp\.network\.subnetCidr/,
      },
    ],
    [
      'a Private Service Access range too small for Cloud SQL',
      (c) => {
        env(c, 'dev').gcp.network.privateServiceCidr = '10.111.0.0/28';
      },
      { field: 'environments[dev].gcp.network.privateServiceCidr', value: '10.111.0.0/28', allowed: /\/16\.\.\/24/ },
    ],
    [
      'a subnet CIDR not aligned to its prefix',
      (c) => {
        env(c, 'dev').gcp.network.subnetCidr = '10.110.0.1/20';
      },
      { field: 'environments[dev].gcp.network.subnetCidr', value: '10.110.0.1/20', allowed: /aligned to its prefix/ },
    ],
    [
      'a VPN inside range AWS reserves',
      (c) => {
        (env(c, 'dev').gcp.network.vpnInsideCidrs as string[])[2] = '169.254.169.252/30';
      },
      {
        field: 'environments[dev].gcp.network.vpnInsideCidrs[2]',
        value: '169.254.169.252/30',
        allowed: /not one AWS reserves/,
      },
    ],
    [
      'a VPN inside range wider than a /30',
      (c) => {
        (env(c, 'staging').gcp.network.vpnInsideCidrs as string[])[0] = '169.254.120.0/29';
      },
      { field: 'environments[staging].gcp.network.vpnInsideCidrs[0]', value: '169.254.120.0/29', allowed: /a \/30/ },
    ],
    [
      'two tunnels with one inside range',
      (c) => {
        (env(c, 'prod').gcp.network.vpnInsideCidrs as string[])[3] = '169.254.130.0/30';
      },
      { field: 'environments[prod].gcp.network.vpnInsideCidrs[3]', value: '169.254.130.0/30', allowed: /unique/ },
    ],
    [
      'a Dataproc cluster with one worker',
      (c) => {
        env(c, 'dev').gcp.dataproc.minWorkers = 1;
      },
      { field: 'environments[dev].gcp.dataproc.minWorkers', value: 1, allowed: /at least 2 workers/ },
    ],
    [
      'an autoscaling maximum below the minimum',
      (c) => {
        env(c, 'staging').gcp.dataproc.maxWorkers = 1;
      },
      { field: 'environments[staging].gcp.dataproc.maxWorkers', value: 1, allowed: /minWorkers\.\.100 \(2\.\.100\)/ },
    ],
    [
      'a machine type that is not one',
      (c) => {
        env(c, 'dev').gcp.dataproc.workerMachineType = 'm6i.large';
      },
      { field: 'environments[dev].gcp.dataproc.workerMachineType', value: 'm6i.large', allowed: /Compute Engine/ },
    ],
    [
      'a Dataproc image that is not one',
      (c) => {
        env(c, 'dev').gcp.dataproc.imageVersion = 'latest';
      },
      { field: 'environments[dev].gcp.dataproc.imageVersion', value: 'latest', allowed: /Dataproc image version/ },
    ],
    [
      'a job parallelism above the partitions of orders',
      (c) => {
        env(c, 'prod').gcp.dataproc.jobParallelism = 8;
      },
      { field: 'environments[prod].gcp.dataproc.jobParallelism', value: 8, allowed: /1\.\.6/ },
    ],
    [
      'a Cloud SQL tier that is not one',
      (c) => {
        env(c, 'dev').gcp.cloudSql.tier = 'db.t4g.medium';
      },
      { field: 'environments[dev].gcp.cloudSql.tier', value: 'db.t4g.medium', allowed: /Cloud SQL tier/ },
    ],
    [
      'a shared-core Cloud SQL tier in prod',
      (c) => {
        env(c, 'prod').gcp.cloudSql.tier = 'db-g1-small';
      },
      { field: 'environments[prod].gcp.cloudSql.tier', value: 'db-g1-small', allowed: /dedicated-core tier in prod/ },
    ],
    [
      'a stream job without windows',
      (c) => {
        delete svc(c, 'analytics').window;
      },
      { field: 'services[analytics].window', value: undefined, allowed: /set for a stream job/ },
    ],
    [
      'windows on a container',
      (c) => {
        svc(c, 'order-service').window = { windowMs: 60_000, outOfOrdernessMs: 0, idleTimeoutMs: 1000 };
      },
      {
        field: 'services[order-service].window',
        value: { windowMs: 60_000, outOfOrdernessMs: 0, idleTimeoutMs: 1000 },
        allowed: /unset for a container \(only stream jobs have windows\)/,
      },
    ],
    [
      'a window of part of a minute',
      (c) => {
        const window = svc(c, 'analytics').window;
        if (window) window.windowMs = 90_000;
      },
      { field: 'services[analytics].window.windowMs', value: 90_000, allowed: /whole minutes from 1 to 99/ },
    ],
    [
      'a window longer than Flink writes in INTERVAL MINUTE',
      (c) => {
        const window = svc(c, 'analytics').window;
        if (window) window.windowMs = 100 * 60_000;
      },
      { field: 'services[analytics].window.windowMs', value: 6_000_000, allowed: /whole minutes from 1 to 99/ },
    ],
    [
      'an out-of-orderness bound Flink cannot write as an INTERVAL SECOND(3)',
      (c) => {
        const window = svc(c, 'analytics').window;
        if (window) window.outOfOrdernessMs = 1_000_000;
      },
      { field: 'services[analytics].window.outOfOrdernessMs', value: 1_000_000, allowed: /0\.\.999999/ },
    ],
    [
      'an idle timeout of zero',
      (c) => {
        const window = svc(c, 'analytics').window;
        if (window) window.idleTimeoutMs = 0;
      },
      { field: 'services[analytics].window.idleTimeoutMs', value: 0, allowed: /1\.\.3600000/ },
    ],
  ];

  it.each(cases)('rejects %s, naming the field, the value and what is allowed', (_name, change, expected) => {
    const issues = validateCatalog(broken(change));
    const issue = issues.find((i) => i.field === expected.field);
    expect(issue).toBeDefined();
    expect(issue?.value).toEqual(expected.value);
    expect(issue?.allowed).toMatch(expected.allowed);
  });

  it('reports every broken rule at once through defineCatalog', () => {
    const bad = broken((c) => {
      svc(c, 'api-gateway').calls.push('cart-service');
      env(c, 'prod').deletionProtection = false;
    });
    let caught: unknown;
    try {
      defineCatalog(bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CatalogError);
    const error = caught as CatalogError;
    expect(error.issues).toHaveLength(2);
    expect(error.message).toContain(`'services[api-gateway].calls' must be one of the catalog's services`);
    expect(error.message).toContain(`got "cart-service"`);
  });

  it('formats an issue as field, allowed and value', () => {
    expect(formatIssue({ field: 'a.b', value: 1, allowed: 'an integer >= 2' })).toBe(
      `'a.b' must be an integer >= 2, got 1`,
    );
  });
});
