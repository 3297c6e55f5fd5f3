import {
  type Catalog,
  type EnvironmentSpec,
  type ServiceSpec,
  type StreamWindowSpec,
  type TopicSpec,
  Workload,
} from './types';

/** One broken rule: where, what was found, and what would have been accepted. */
export interface CatalogIssue {
  /** Dotted path into the catalog, e.g. `services[order-service].scaling.maxReplicas`. */
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;
}

export class CatalogError extends Error {
  constructor(readonly issues: readonly CatalogIssue[]) {
    super(`invalid platform catalog:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
    this.name = 'CatalogError';
  }
}

export function formatIssue(issue: CatalogIssue): string {
  return `'${issue.field}' must be ${issue.allowed}, got ${JSON.stringify(issue.value)}`;
}

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const PORT_NAME = /^[a-z]([a-z0-9-]{0,13}[a-z0-9])?$/;
const INGRESS_PATH = /^\/([a-z0-9-]+(\/[a-z0-9-]+)*)?$/;
const SQL_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const DYNAMO_TABLE = /^[a-zA-Z0-9_.-]{3,255}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const GCP_PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const GCP_REGION = /^[a-z]+-[a-z]+\d+$/;
const GCE_MACHINE_TYPE = /^[a-z][a-z0-9]*-(standard|highmem|highcpu)-\d+$/;
const DATAPROC_IMAGE = /^\d+\.\d+(\.\d+)?-(debian|ubuntu|rocky)\d+$/;
const CLOUD_SQL_TIER = /^db-(custom-\d+-\d+|perf-optimized-N-\d+|f1-micro|g1-small)$/;

/** An IPv4 CIDR as the first and last address (32-bit integers) and its prefix, or undefined if malformed. */
export function parseCidr(text: string): { first: number; last: number; prefix: number } | undefined {
  const m = CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return undefined;
  return { first: address, last: address + size - 1, prefix };
}
/** The values CloudWatch Logs accepts for retention. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

class Issues {
  readonly list: CatalogIssue[] = [];
  add(field: string, value: unknown, allowed: string): void {
    this.list.push({ field, value, allowed });
  }
  check(ok: boolean, field: string, value: unknown, allowed: string): void {
    if (!ok) this.add(field, value, allowed);
  }
  unique<T>(items: readonly T[], key: (item: T) => string, field: (item: T) => string, what: string): void {
    const seen = new Set<string>();
    for (const item of items) {
      const k = key(item);
      if (seen.has(k)) this.add(field(item), k, `unique among ${what}`);
      seen.add(k);
    }
  }
}

const isInt = (n: number, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  Number.isInteger(n) && n >= min && n <= max;

/** Every rule the catalog must satisfy; returns all broken rules, not just the first. */
export function validateCatalog(catalog: Catalog): CatalogIssue[] {
  const issues = new Issues();
  const serviceNames = new Set(catalog.services.map((s) => s.name));
  const topicNames = new Set(catalog.topics.map((t) => t.name));

  issues.check(catalog.services.length > 0, 'services', catalog.services.length, 'at least one service');
  issues.unique(
    catalog.services,
    (s) => s.name,
    (s) => `services[${s.name}].name`,
    'service names',
  );
  issues.unique(
    catalog.topics,
    (t) => t.name,
    (t) => `topics[${t.name}].name`,
    'topic names',
  );
  issues.unique(
    catalog.environments,
    (e) => e.name,
    (e) => `environments[${e.name}].name`,
    'environment names',
  );
  issues.unique(
    catalog.environments,
    (e) => e.gcp.projectId,
    (e) => `environments[${e.name}].gcp.projectId`,
    'GCP projects (one per environment)',
  );

  // One host runs the whole platform locally, so a port belongs to one component only.
  const ports = catalog.services.flatMap((s) => s.ports.map((p) => ({ service: s.name, port: p })));
  issues.unique(
    ports,
    (p) => String(p.port.port),
    (p) => `services[${p.service}].ports[${p.port.name}].port`,
    'ports of the platform',
  );
  const databases = catalog.services.flatMap((s) =>
    s.owns.map((d) => ({
      service: s.name,
      id: d.kind === 'postgres' ? `postgres:${d.database}` : `dynamodb:${d.table}`,
    })),
  );
  issues.unique(
    databases,
    (d) => d.id,
    (d) => `services[${d.service}].owns[${d.id}]`,
    'data stores (one owner each)',
  );

  // One load balancer, one origin: each public service owns a distinct path prefix of it.
  const publicServices = catalog.services.filter((s) => s.public === true);
  issues.unique(
    publicServices,
    (s) => s.ingressPath ?? '/',
    (s) => `services[${s.name}].ingressPath`,
    'ingress paths of public services',
  );

  for (const service of catalog.services) validateService(service, serviceNames, topicNames, issues);
  for (const topic of catalog.topics) validateTopic(topic, catalog, issues);
  for (const env of catalog.environments) validateEnvironment(env, catalog, issues);
  return issues.list;
}

function validateService(s: ServiceSpec, services: Set<string>, topics: Set<string>, issues: Issues): void {
  const at = `services[${s.name}]`;
  issues.check(DNS_LABEL.test(s.name), `${at}.name`, s.name, 'a DNS-1123 label (lower-case letters, digits, -)');
  issues.unique(
    s.ports,
    (p) => p.name,
    (p) => `${at}.ports[${p.name}].name`,
    `port names of ${s.name}`,
  );
  for (const p of s.ports) {
    issues.check(PORT_NAME.test(p.name), `${at}.ports[${p.name}].name`, p.name, 'an IANA service name of 1-15 chars');
    issues.check(isInt(p.port, 1024, 65535), `${at}.ports[${p.name}].port`, p.port, 'an integer in 1024..65535');
  }
  for (const peer of s.calls) {
    const field = `${at}.calls`;
    if (!services.has(peer)) issues.add(field, peer, `one of the catalog's services (${[...services].join(', ')})`);
    else if (peer === s.name) issues.add(field, peer, 'another service (a service does not call itself)');
  }
  if (s.ingressPath !== undefined) {
    issues.check(
      INGRESS_PATH.test(s.ingressPath),
      `${at}.ingressPath`,
      s.ingressPath,
      "'/' or a path of lower-case segments without a trailing slash (e.g. /api)",
    );
    issues.check(s.public === true, `${at}.ingressPath`, s.ingressPath, 'unset unless the service is public');
  }
  for (const t of s.produces)
    issues.check(topics.has(t), `${at}.produces`, t, `a declared topic (${[...topics].join(', ')})`);
  for (const t of s.consumes)
    issues.check(topics.has(t), `${at}.consumes`, t, `a declared topic (${[...topics].join(', ')})`);
  for (const name of s.secrets ?? []) {
    issues.check(DNS_LABEL.test(name), `${at}.secrets`, name, 'a DNS-1123 label (lower-case letters, digits, -)');
  }
  for (const d of s.owns) {
    if (d.kind === 'postgres') {
      issues.check(
        SQL_NAME.test(d.database),
        `${at}.owns.database`,
        d.database,
        'a lower-case SQL identifier ([a-z][a-z0-9_]*)',
      );
    } else {
      issues.check(
        DYNAMO_TABLE.test(d.table),
        `${at}.owns.table`,
        d.table,
        'a DynamoDB table name (3-255 of [a-zA-Z0-9_.-])',
      );
    }
  }

  if (s.workload === Workload.CONTAINER) {
    issues.check(s.ports.length > 0, `${at}.ports`, s.ports.length, 'at least one port for a container');
    if (!s.scaling) issues.add(`${at}.scaling`, undefined, 'set for a container');
    if (!s.resources) issues.add(`${at}.resources`, undefined, 'set for a container');
  } else {
    issues.check(
      s.public !== true,
      `${at}.public`,
      s.public,
      `false for a ${s.workload} (only containers are exposed)`,
    );
  }
  if (s.workload === Workload.STREAM_JOB) {
    if (!s.window) issues.add(`${at}.window`, undefined, 'set for a stream job');
  } else if (s.window) {
    issues.add(`${at}.window`, s.window, `unset for a ${s.workload} (only stream jobs have windows)`);
  }
  if (s.window) issues.list.push(...validateStreamWindow(s.window, `${at}.window`));
  if (s.scaling) validateScaling(s, issues);
  if (s.resources) {
    for (const kind of ['requests', 'limits'] as const) {
      const r = s.resources[kind];
      issues.check(isInt(r.cpuMillis, 10), `${at}.resources.${kind}.cpuMillis`, r.cpuMillis, 'an integer >= 10');
      issues.check(isInt(r.memoryMiB, 16), `${at}.resources.${kind}.memoryMiB`, r.memoryMiB, 'an integer >= 16');
    }
    const { requests, limits } = s.resources;
    const cpuLimit = `<= limits.cpuMillis (${limits.cpuMillis})`;
    const memLimit = `<= limits.memoryMiB (${limits.memoryMiB})`;
    issues.check(
      requests.cpuMillis <= limits.cpuMillis,
      `${at}.resources.requests.cpuMillis`,
      requests.cpuMillis,
      cpuLimit,
    );
    issues.check(
      requests.memoryMiB <= limits.memoryMiB,
      `${at}.resources.requests.memoryMiB`,
      requests.memoryMiB,
      memLimit,
    );
  }
}

const MINUTE_MS = 60_000;

/**
 * The rules of a stream job's windows, which its Flink SQL can express and its twin accepts; `at` names the window
 * in the issues (`services[analytics].window` in the catalog).
 */
export function validateStreamWindow(window: StreamWindowSpec, at = 'window'): CatalogIssue[] {
  const issues = new Issues();
  issues.check(
    isInt(window.windowMs, MINUTE_MS, 99 * MINUTE_MS) && window.windowMs % MINUTE_MS === 0,
    `${at}.windowMs`,
    window.windowMs,
    `whole minutes from 1 to 99 (a multiple of ${MINUTE_MS} up to ${99 * MINUTE_MS}; Flink's INTERVAL MINUTE)`,
  );
  issues.check(
    isInt(window.outOfOrdernessMs, 0, 999_999),
    `${at}.outOfOrdernessMs`,
    window.outOfOrdernessMs,
    "an integer in 0..999999 (Flink's INTERVAL SECOND(3))",
  );
  issues.check(
    isInt(window.idleTimeoutMs, 1, 3_600_000),
    `${at}.idleTimeoutMs`,
    window.idleTimeoutMs,
    'an integer in 1..3600000',
  );
  return issues.list;
}

function validateScaling(s: ServiceSpec, issues: Issues): void {
  const scaling = s.scaling;
  if (!scaling) return;
  const at = `services[${s.name}].scaling`;
  issues.check(isInt(scaling.minReplicas, 1), `${at}.minReplicas`, scaling.minReplicas, 'an integer >= 1');
  issues.check(
    isInt(scaling.maxReplicas, Math.max(1, scaling.minReplicas)),
    `${at}.maxReplicas`,
    scaling.maxReplicas,
    `an integer >= minReplicas (${scaling.minReplicas})`,
  );
  const target = scaling.metric.targetUtilizationPercent;
  issues.check(isInt(target, 1, 100), `${at}.metric.targetUtilizationPercent`, target, 'an integer in 1..100');
  if (scaling.behavior) {
    for (const direction of ['scaleUp', 'scaleDown'] as const) {
      const rules = scaling.behavior[direction];
      const window = rules.stabilizationWindowSeconds;
      issues.check(
        isInt(window, 0, 3600),
        `${at}.behavior.${direction}.stabilizationWindowSeconds`,
        window,
        'an integer in 0..3600',
      );
      issues.check(
        rules.policies.length > 0,
        `${at}.behavior.${direction}.policies`,
        rules.policies.length,
        'at least one policy',
      );
      rules.policies.forEach((p, i) => {
        issues.check(isInt(p.value, 1), `${at}.behavior.${direction}.policies[${i}].value`, p.value, 'an integer >= 1');
        const period = p.periodSeconds;
        issues.check(
          isInt(period, 1, 1800),
          `${at}.behavior.${direction}.policies[${i}].periodSeconds`,
          period,
          'an integer in 1..1800',
        );
      });
    }
  }
}

function validateTopic(t: TopicSpec, catalog: Catalog, issues: Issues): void {
  const at = `topics[${t.name}]`;
  issues.check(TOPIC_NAME.test(t.name), `${at}.name`, t.name, 'a Kafka topic name (1-249 of [a-zA-Z0-9._-])');
  issues.check(isInt(t.partitions, 1, 1000), `${at}.partitions`, t.partitions, 'an integer in 1..1000');
  issues.check(isInt(t.replicationFactor, 1, 5), `${at}.replicationFactor`, t.replicationFactor, 'an integer in 1..5');
  issues.check(isInt(t.retentionHours, 1), `${at}.retentionHours`, t.retentionHours, 'an integer >= 1');
  issues.check(t.eventTypes.length > 0, `${at}.eventTypes`, t.eventTypes.length, 'at least one event type');
  const producers = catalog.services.filter((s) => s.produces.includes(t.name)).map((s) => s.name);
  issues.check(
    producers.length > 0,
    `${at}`,
    t.name,
    'produced by at least one service (no service lists it in produces)',
  );
}

function validateEnvironment(e: EnvironmentSpec, catalog: Catalog, issues: Issues): void {
  const at = `environments[${e.name}]`;
  issues.check(
    /^[a-z]{2}(-[a-z]+)+-\d$/.test(e.region),
    `${at}.region`,
    e.region,
    'an AWS region name such as eu-west-1',
  );
  issues.check(e.availabilityZones.length === 3, `${at}.availabilityZones`, e.availabilityZones, 'exactly 3 zones');
  for (const az of e.availabilityZones) {
    issues.check(
      az.startsWith(e.region) && /^[a-z]$/.test(az.slice(e.region.length)),
      `${at}.availabilityZones`,
      az,
      `a zone of ${e.region} (e.g. ${e.region}a)`,
    );
  }
  issues.unique(
    e.availabilityZones,
    (az) => az,
    () => `${at}.availabilityZones`,
    'zones of the environment',
  );
  const cidr = CIDR.exec(e.network.cidr);
  const prefix = cidr ? Number(cidr[5]) : Number.NaN;
  issues.check(
    (cidr?.slice(1, 5).every((o) => Number(o) <= 255) ?? false) && prefix >= 16 && prefix <= 20,
    `${at}.network.cidr`,
    e.network.cidr,
    'an IPv4 CIDR with a prefix of /16../20 (room for 9 subnets)',
  );
  issues.check(
    isInt(e.network.natGateways, 1, 3),
    `${at}.network.natGateways`,
    e.network.natGateways,
    'an integer in 1..3',
  );
  const db = e.database;
  issues.check(
    isInt(db.allocatedStorageGiB, 20, 65536),
    `${at}.database.allocatedStorageGiB`,
    db.allocatedStorageGiB,
    'an integer in 20..65536',
  );
  issues.check(
    isInt(db.maxAllocatedStorageGiB, db.allocatedStorageGiB, 65536),
    `${at}.database.maxAllocatedStorageGiB`,
    db.maxAllocatedStorageGiB,
    `an integer in allocatedStorageGiB (${db.allocatedStorageGiB})..65536`,
  );
  issues.check(
    isInt(db.backupRetentionDays, 1, 35),
    `${at}.database.backupRetentionDays`,
    db.backupRetentionDays,
    'an integer in 1..35',
  );
  issues.check(
    /^db\.[a-z0-9]+\.[a-z0-9]+$/.test(db.instanceClass),
    `${at}.database.instanceClass`,
    db.instanceClass,
    'an RDS class such as db.t4g.medium',
  );
  const k = e.kafka;
  issues.check(
    /^kafka\.[a-z0-9]+\.[a-z0-9]+$/.test(k.brokerInstanceType),
    `${at}.kafka.brokerInstanceType`,
    k.brokerInstanceType,
    'an MSK broker type such as kafka.m7g.large',
  );
  issues.check(isInt(k.brokersPerAz, 1, 10), `${at}.kafka.brokersPerAz`, k.brokersPerAz, 'an integer in 1..10');
  issues.check(isInt(k.volumeGiB, 1, 16384), `${at}.kafka.volumeGiB`, k.volumeGiB, 'an integer in 1..16384');
  const brokers = k.brokersPerAz * e.availabilityZones.length;
  for (const t of catalog.topics) {
    issues.check(
      t.replicationFactor <= brokers,
      `topics[${t.name}].replicationFactor`,
      t.replicationFactor,
      `<= the broker count of environment ${e.name} (${brokers})`,
    );
  }
  const n = e.kubernetes;
  issues.check(
    n.nodeInstanceTypes.length > 0,
    `${at}.kubernetes.nodeInstanceTypes`,
    n.nodeInstanceTypes,
    'at least one instance type',
  );
  issues.check(isInt(n.minNodes, 1), `${at}.kubernetes.minNodes`, n.minNodes, 'an integer >= 1');
  issues.check(
    isInt(n.desiredNodes, n.minNodes, n.maxNodes),
    `${at}.kubernetes.desiredNodes`,
    n.desiredNodes,
    `an integer in minNodes..maxNodes (${n.minNodes}..${n.maxNodes})`,
  );
  issues.check(
    isInt(n.maxNodes, Math.max(1, n.minNodes)),
    `${at}.kubernetes.maxNodes`,
    n.maxNodes,
    `an integer >= minNodes (${n.minNodes})`,
  );
  issues.check(
    (LOG_RETENTION_DAYS as readonly number[]).includes(e.logRetentionDays),
    `${at}.logRetentionDays`,
    e.logRetentionDays,
    `one of CloudWatch's retention values (${LOG_RETENTION_DAYS.join(', ')})`,
  );
  if (e.name === 'prod') {
    issues.check(e.deletionProtection, `${at}.deletionProtection`, e.deletionProtection, 'true in prod');
    issues.check(e.database.multiAz, `${at}.database.multiAz`, e.database.multiAz, 'true in prod');
  }
  validateGcp(e, catalog, issues);
}

/** Inside ranges AWS Site-to-Site VPN refuses for a tunnel. */
export const AWS_RESERVED_INSIDE_CIDRS: readonly string[] = [
  '169.254.0.0/30',
  '169.254.1.0/30',
  '169.254.2.0/30',
  '169.254.3.0/30',
  '169.254.4.0/30',
  '169.254.5.0/30',
  '169.254.169.252/30',
];

function validateGcp(e: EnvironmentSpec, catalog: Catalog, issues: Issues): void {
  const at = `environments[${e.name}].gcp`;
  const g = e.gcp;
  issues.check(
    GCP_PROJECT_ID.test(g.projectId),
    `${at}.projectId`,
    g.projectId,
    'a GCP project id (6-30 of a-z, 0-9, -; starting with a letter)',
  );
  issues.check(GCP_REGION.test(g.region), `${at}.region`, g.region, 'a GCP region name such as europe-west1');
  issues.check(
    g.zone.startsWith(`${g.region}-`) && /^[a-z]$/.test(g.zone.slice(g.region.length + 1)),
    `${at}.zone`,
    g.zone,
    `a zone of ${g.region} (e.g. ${g.region}-b)`,
  );

  // The GCP subnet reaches MSK through a VPN, and Cloud SQL lives in the Private Service Access range: no two
  // of the three ranges may overlap, or routes become ambiguous.
  const ranges = [
    { field: `${at}.network.subnetCidr`, cidr: g.network.subnetCidr },
    { field: `${at}.network.privateServiceCidr`, cidr: g.network.privateServiceCidr },
  ].map((r) => ({ ...r, parsed: parseCidr(r.cidr) }));
  for (const r of ranges) {
    issues.check(
      r.parsed !== undefined && r.parsed.prefix >= 16 && r.parsed.prefix <= 24,
      r.field,
      r.cidr,
      'an IPv4 CIDR with a prefix of /16../24, aligned to its prefix',
    );
  }
  const aws = {
    field: `environments[${e.name}].network.cidr`,
    cidr: e.network.cidr,
    parsed: parseCidr(e.network.cidr),
  };
  const all = [aws, ...ranges];
  all.forEach((a, i) => {
    for (const b of all.slice(i + 1)) {
      if (a.parsed && b.parsed && a.parsed.first <= b.parsed.last && b.parsed.first <= a.parsed.last) {
        issues.add(b.field, b.cidr, `a range that does not overlap ${a.field} (${a.cidr})`);
      }
    }
  });

  // The tunnels' inside ranges: each a /30 of 169.254.0.0/16 that AWS accepts, all four distinct.
  g.network.vpnInsideCidrs.forEach((cidr, i) => {
    const parsed = parseCidr(cidr);
    const linkLocal = parseCidr('169.254.0.0/16');
    issues.check(
      parsed !== undefined &&
        linkLocal !== undefined &&
        parsed.prefix === 30 &&
        parsed.first >= linkLocal.first &&
        parsed.last <= linkLocal.last &&
        !AWS_RESERVED_INSIDE_CIDRS.includes(cidr) &&
        g.network.vpnInsideCidrs.indexOf(cidr) === i,
      `${at}.network.vpnInsideCidrs[${i}]`,
      cidr,
      `a /30 in 169.254.0.0/16, unique, not one AWS reserves (${AWS_RESERVED_INSIDE_CIDRS.join(', ')})`,
    );
  });

  const d = g.dataproc;
  issues.check(
    DATAPROC_IMAGE.test(d.imageVersion),
    `${at}.dataproc.imageVersion`,
    d.imageVersion,
    'a Dataproc image version such as 2.3-debian12',
  );
  for (const key of ['masterMachineType', 'workerMachineType'] as const) {
    issues.check(
      GCE_MACHINE_TYPE.test(d[key]),
      `${at}.dataproc.${key}`,
      d[key],
      'a Compute Engine machine type such as n2-standard-4',
    );
  }
  issues.check(
    isInt(d.minWorkers, 2, 100),
    `${at}.dataproc.minWorkers`,
    d.minWorkers,
    'an integer in 2..100 (a standard cluster has at least 2 workers)',
  );
  issues.check(
    isInt(d.maxWorkers, Math.max(2, d.minWorkers), 100),
    `${at}.dataproc.maxWorkers`,
    d.maxWorkers,
    `an integer in minWorkers..100 (${d.minWorkers}..100)`,
  );
  issues.check(isInt(d.bootDiskGiB, 30, 65536), `${at}.dataproc.bootDiskGiB`, d.bootDiskGiB, 'an integer in 30..65536');
  // A source subtask without a partition never advances its watermark, and the job's windows would never close.
  const jobTopics = catalog.topics.filter((t) =>
    catalog.services.some((s) => s.workload === Workload.STREAM_JOB && s.consumes.includes(t.name)),
  );
  const partitions = Math.min(...jobTopics.map((t) => t.partitions));
  issues.check(
    isInt(d.jobParallelism, 1, partitions),
    `${at}.dataproc.jobParallelism`,
    d.jobParallelism,
    `an integer in 1..${partitions} (the partitions of the stream job's source topics)`,
  );

  const sql = g.cloudSql;
  issues.check(
    CLOUD_SQL_TIER.test(sql.tier),
    `${at}.cloudSql.tier`,
    sql.tier,
    'a Cloud SQL tier such as db-custom-2-7680',
  );
  issues.check(isInt(sql.diskGiB, 10, 65536), `${at}.cloudSql.diskGiB`, sql.diskGiB, 'an integer in 10..65536');
  if (e.name === 'prod') {
    issues.check(
      !/^db-(f1-micro|g1-small)$/.test(sql.tier),
      `${at}.cloudSql.tier`,
      sql.tier,
      'a dedicated-core tier in prod (shared-core tiers have no SLA)',
    );
  }
}

/** Validates and returns the catalog, or throws a CatalogError listing every broken rule. */
export function defineCatalog<T extends Catalog>(catalog: T): T {
  const issues = validateCatalog(catalog);
  if (issues.length > 0) throw new CatalogError(issues);
  return catalog;
}
