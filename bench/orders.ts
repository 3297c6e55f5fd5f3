/**
 * Order benchmark on real PostgreSQL and Kafka (run through bench/bench.sh, which starts both):
 * POST /api/v1/orders at 50 concurrent clients, each request a new Idempotency-Key, and the time from an
 * order's commit (its updatedAt, written in the same transaction as its outbox event) to its
 * notification line. Prints numbers; asserts nothing.
 *
 * `--tracing=off|on|both` (default both): with tracing off (OTEL_SDK_DISABLED) and on (the kit's default sampling,
 * spans to the trace file), each on a fresh platform, printed side by side with the throughput tracing costs.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { shop, TOPIC_ORDERS } from '../lib/platform';
import {
  cpuByUser,
  cpuDifference,
  databaseWork,
  GATEWAY,
  localDatabaseUrl,
  percentile,
  platformPssMiB,
  rssMiB,
  startPlatformProcess,
} from './platform';
import {
  BenchArgumentError,
  benchNumber,
  parseTracingModes,
  type TracingMode,
  tracingCost,
  tracingEnvironment,
} from './tracing-modes';

const CONNECTIONS = benchNumber('BENCH_ORDER_CONNECTIONS', process.env.BENCH_ORDER_CONNECTIONS, 50, 1);
const DURATION_S = benchNumber('BENCH_DURATION_S', process.env.BENCH_DURATION_S, 15, 1);
/**
 * How long the platform idles after the run before its memory is read again: past the connection pools' 30 s idle
 * timeout and V8's memory reducer, the size it keeps rather than the one load left behind. 0 skips the reading.
 */
const SETTLE_S = benchNumber('BENCH_SETTLE_S', process.env.BENCH_SETTLE_S, 40);

async function json(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${GATEWAY}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Measured {
  readonly mode: TracingMode;
  readonly result: autocannon.Result;
  readonly failures: ReadonlyMap<number, number>;
  readonly sampleFailure: string;
  /** Commit to notification line, ms, sorted. */
  readonly latencies: readonly number[];
  /** The same in two legs, ms, sorted, where the PostgreSQL event log holds the records (not on Kafka). */
  readonly legs?: { readonly toLog: readonly number[]; readonly fromLog: readonly number[] };
  readonly confirmed: number;
  readonly work: Awaited<ReturnType<Awaited<ReturnType<typeof databaseWork>>['read']>>;
  readonly pss: ReturnType<typeof platformPssMiB>;
  /** The same after SETTLE_S seconds without requests; undefined when SETTLE_S is 0. */
  readonly settledPss?: ReturnType<typeof platformPssMiB>;
  readonly peakRssMiB: number;
  /** CPU seconds each user spent during the autocannon run, largest first; undefined off Linux. */
  readonly cpu?: readonly [string, number][];
  readonly seconds: number;
}

async function main(): Promise<void> {
  const modes = parseTracingModes(process.argv.slice(2));
  // With TEST_DATABASE_URL and TEST_KAFKA_BROKERS (bench/bench.sh starts both): PostgreSQL + Kafka. Without: the
  // embedded default, as `npm start` runs.
  const databaseUrl = process.env.TEST_DATABASE_URL;
  const brokers = process.env.TEST_KAFKA_BROKERS;
  if (Boolean(databaseUrl) !== Boolean(brokers))
    throw new Error('set both TEST_DATABASE_URL and TEST_KAFKA_BROKERS, or neither');
  const backend = brokers ? 'PostgreSQL and Kafka started for the run' : 'the embedded default (npm start)';
  if (brokers) {
    const admin = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        ...shop.catalog.topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })),
        { topic: 'orders.dlq', numPartitions: 1, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
  }

  const runs: Measured[] = [];
  // On a database of its own a run starts from an empty data folder. A database given from outside outlives the
  // runs, and so does the administrator each run's first start created in it: the runs share one data folder, whose
  // secrets hold that administrator's password.
  const sharedDataDir = databaseUrl ? newDataDir() : undefined;
  try {
    for (const mode of modes) {
      const dataDir = sharedDataDir ?? newDataDir();
      try {
        runs.push(await measure(mode, dataDir, databaseUrl, brokers));
      } finally {
        if (!sharedDataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    if (sharedDataDir) rmSync(sharedDataDir, { recursive: true, force: true });
  }

  const row = (r: Measured) =>
    `| tracing ${r.mode} | ${Math.round(r.result.requests.average)} | ${r.result.latency.p50} | ${r.result.latency.p99} | ${r.result.errors + r.result.timeouts} | ${r.result.non2xx} | ${r.result.requests.total} |`;
  const off = runs.find((r) => r.mode === 'off');
  const on = runs.find((r) => r.mode === 'on');
  const lines = [
    `orders: autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per run, one line of one product per order, tok_visa, ${backend}`,
    `machine load (1-minute average) after the runs: ${loadavg()[0]?.toFixed(2)}`,
    '',
    '| POST /api/v1/orders through the gateway | orders/s | p50 ms | p99 ms | errors | non-2xx | orders |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(row),
    '',
    ...(off && on
      ? [
          `tracing costs ${tracingCost(off.result.requests.average, on.result.requests.average).toFixed(1)} % of throughput (p99 ${off.result.latency.p99} -> ${on.result.latency.p99} ms); the budget is 10 %`,
          '',
        ]
      : []),
    ...runs.flatMap((r) => [
      `tracing ${r.mode}:`,
      ...(r.failures.size > 0
        ? [`  non-2xx by status: ${JSON.stringify(Object.fromEntries(r.failures))}; first: ${r.sampleFailure}`]
        : []),
      `  commit to notification line: p50 ${percentile([...r.latencies], 50)} ms, p99 ${percentile([...r.latencies], 99)} ms, max ${r.latencies.at(-1)} ms (${r.latencies.length} of ${r.confirmed} confirmed orders notified)`,
      ...(r.legs
        ? [
            `    of which commit to the event log (outbox relay): p50 ${percentile(r.legs.toLog, 50)} ms, p99 ${percentile(r.legs.toLog, 99)} ms; event log to the line (consumer): p50 ${percentile(r.legs.fromLog, 50)} ms, p99 ${percentile(r.legs.fromLog, 99)} ms (${r.legs.toLog.length} orders)`,
          ]
        : []),
      `  database work per confirmed order (every service, relay and consumer included): ${(r.work.commits / r.confirmed).toFixed(1)} transactions, ${(r.work.statements / r.confirmed).toFixed(1)} statements`,
      '  the most frequent statements, calls per confirmed order (total ms):',
      ...r.work.top.map(
        (s) => `    ${(s.calls / r.confirmed).toFixed(2)} (${Math.round(s.ms)} ms)  ${s.query.slice(0, 110)}`,
      ),
      `  whole platform PSS after the run: ${r.pss.total} MiB (PostgreSQL included unless external: ${r.pss.postgres} MiB; ${r.pss.processes} processes; ${r.work.connections} database connections open); supervisor peak RSS ${r.peakRssMiB} MiB`,
      ...(r.settledPss
        ? [
            `  whole platform PSS after ${SETTLE_S} s idle: ${r.settledPss.total} MiB (PostgreSQL ${r.settledPss.postgres} MiB; ${r.settledPss.processes} processes)`,
          ]
        : []),
      `  database connections open after the run: ${r.work.connectionsBy}`,
      ...cpuLines(r),
    ]),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Commit to notification in two legs, through the time each order's event was appended to the PostgreSQL event log
 * (its clock, the same machine's): the order's commit to the append (the outbox relay) and the append to the
 * notification line (the consumer). Records are keyed by order id.
 */
async function logLegs(url: string, committed: ReadonlyMap<string, number>, sent: ReadonlyMap<string, number>) {
  const client = new pg.Client({ connectionString: url, application_name: 'bench' });
  await client.connect();
  try {
    const appended = await client.query<{ key: string; at: Date }>(
      `SELECT key, appended_at AS at FROM events.records WHERE topic = $1`,
      [TOPIC_ORDERS],
    );
    const toLog: number[] = [];
    const fromLog: number[] = [];
    for (const { key, at } of appended.rows) {
      const commit = committed.get(key);
      const line = sent.get(key);
      if (commit === undefined || line === undefined) continue;
      toLog.push(at.getTime() - commit);
      fromLog.push(line - at.getTime());
    }
    const sorted = (values: number[]) => values.sort((a, b) => a - b);
    return { toLog: sorted(toLog), fromLog: sorted(fromLog) };
  } finally {
    await client.end();
  }
}

/** CPU per order by who spent it, from /proc before and after the run (not a profile: waiting for a core is not counted). */
function cpuLines(r: Measured): string[] {
  if (!r.cpu) return [];
  const orders = r.result.requests.total;
  const total = r.cpu.reduce((sum, [, seconds]) => sum + seconds, 0);
  const perOrder = (seconds: number) => ((1000 * seconds) / orders).toFixed(2);
  return [
    `  CPU per order during the run (ms; user + system from /proc; ${availableParallelism()} cores, ${total.toFixed(1)} CPU s in ${r.seconds.toFixed(1)} s = ${(total / r.seconds).toFixed(2)} cores busy):`,
    ...r.cpu.map(([who, seconds]) => `    ${perOrder(seconds).padStart(6)}  ${who}`),
    `    ${perOrder(total).padStart(6)}  in all (the platform and its database; the load generator not counted)`,
  ];
}

const newDataDir = () => mkdtempSync(path.join(tmpdir(), 'shopfront-bench-orders-'));

/** One run of the scenario on a platform started for it, with tracing off or on. */
async function measure(mode: TracingMode, dataDir: string, databaseUrl?: string, brokers?: string): Promise<Measured> {
  const platform = await startPlatformProcess({
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers,
    ...tracingEnvironment(mode),
  });
  try {
    const secrets = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as {
      adminEmail: string;
      adminPassword: string;
    };
    const adminToken = String(
      (await json('POST', '/api/v1/auth/login', { email: secrets.adminEmail, password: secrets.adminPassword })).body
        .accessToken,
    );
    const product = await json(
      'POST',
      '/api/v1/products',
      { name: 'Bench beans', description: 'plenty', price: { amount: 1000, currency: 'EUR' }, stock: 1_000_000 },
      { authorization: `Bearer ${adminToken}` },
    );
    const customer = {
      email: `bench-${Date.now()}@example.com`,
      password: 'correct horse battery staple',
      name: 'Bench',
    };
    await json('POST', '/api/v1/auth/register', customer);
    const login = await json('POST', '/api/v1/auth/login', { email: customer.email, password: customer.password });
    if (login.status !== 200 || product.status !== 201) {
      throw new Error(`setup failed: product ${product.status} ${JSON.stringify(product.body)}, login ${login.status}`);
    }
    const token = String(login.body.accessToken);
    const body = JSON.stringify({
      items: [{ productId: String(product.body.id), quantity: 1 }],
      paymentToken: 'tok_visa',
    });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    for (let i = 0; i < 20; i++)
      await json('POST', '/api/v1/orders', JSON.parse(body), { ...headers, 'idempotency-key': randomUUID() });

    const url = databaseUrl ?? localDatabaseUrl(dataDir);
    const work = await databaseWork(url);
    const pid = platform.child.pid ?? 0;
    const onLinux = process.platform === 'linux';
    const cpuBefore = onLinux ? await cpuByUser(pid, dataDir, url) : undefined;
    const runStarted = Date.now();
    const committed = new Map<string, number>();
    const failures = new Map<number, number>();
    let sampleFailure = '';
    const result = await autocannon({
      url: `${GATEWAY}/api/v1/orders`,
      connections: CONNECTIONS,
      duration: DURATION_S,
      requests: [
        {
          method: 'POST',
          body,
          setupRequest: (request) => ({ ...request, headers: { ...headers, 'idempotency-key': randomUUID() } }),
          onResponse: (status, responseBody) => {
            if (status !== 201) {
              failures.set(status, (failures.get(status) ?? 0) + 1);
              if (!sampleFailure) sampleFailure = `${status} ${responseBody.slice(0, 300)}`;
              return;
            }
            const order = JSON.parse(responseBody) as { id: string; updatedAt: string };
            committed.set(order.id, Date.parse(order.updatedAt));
          },
        },
      ],
    });

    const seconds = (Date.now() - runStarted) / 1000;
    const cpu = cpuBefore && cpuDifference(cpuBefore, await cpuByUser(pid, dataDir, url));
    // Wait for every confirmed order's notification line.
    const file = path.join(dataDir, 'notifications.jsonl');
    const sent = new Map<string, number>();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (existsSync(file)) {
        for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
          const n = JSON.parse(line) as { sentAt: string; attributes?: Record<string, string>; orderId?: string };
          const orderId = n.attributes?.orderId ?? n.orderId;
          if (orderId) sent.set(orderId, Date.parse(n.sentAt));
        }
      }
      if ([...committed.keys()].every((id) => sent.has(id))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // Statistics reach pg_stat_database within a second of a backend going idle.
    await new Promise((r) => setTimeout(r, 1500));
    const done = await work.read();
    const latencies = [...committed]
      .filter(([id]) => sent.has(id))
      .map(([id, at]) => (sent.get(id) ?? at) - at)
      .sort((a, b) => a - b);
    const legs = brokers ? undefined : await logLegs(url, committed, sent);
    const pss = platformPssMiB(platform.child.pid ?? 0, dataDir);
    let settledPss: ReturnType<typeof platformPssMiB> | undefined;
    if (SETTLE_S > 0) {
      await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
      settledPss = platformPssMiB(platform.child.pid ?? 0, dataDir);
    }
    return {
      mode,
      result,
      failures,
      sampleFailure,
      latencies,
      legs,
      confirmed: committed.size,
      work: done,
      pss,
      settledPss,
      peakRssMiB: rssMiB(platform.child.pid ?? 0, 'VmHWM'),
      cpu,
      seconds,
    };
  } finally {
    await platform.stop();
  }
}

main().catch((error: unknown) => {
  const text = error instanceof BenchArgumentError ? error.message : error instanceof Error ? error.stack : error;
  process.stderr.write(`order bench failed: ${String(text)}\n`);
  process.exit(1);
});
