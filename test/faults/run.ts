/**
 * Fault injection on the real-backend platform: every service its own process, on a real PostgreSQL and Kafka
 * (started by scripts/faults.sh). While clients place orders, each fault is injected in turn; the clients retry
 * what was not answered with the same Idempotency-Key, as a careful client would. When the faults are over and
 * the platform has settled, every order is checked against every store:
 *   - every order the API acknowledged exists exactly once, in the state it was acknowledged with (or its
 *     successor: an order acknowledged PENDING may end CONFIRMED or FAILED);
 *   - each confirmed order was charged exactly once, a failed one not at all (or refunded);
 *   - each confirmed order was notified exactly once and no failed one; the analytics windows count every
 *     confirmed order exactly once;
 *   - no stock stays reserved for a failed order, and each product's stock is its initial stock less what the
 *     confirmed orders took.
 * Prints one row per fault (attempted / acknowledged / lost / duplicated / ...), writes `$REPORT_DIR/faults.json`
 * when REPORT_DIR is set, and exits 1 when anything was lost, duplicated or left inconsistent.
 *
 *   npm run faults               every fault (about 6 minutes)
 *   npm run faults -- --short    Kafka away 20 s, PostgreSQL restarted, order-service and payment-service killed
 *                                (about 3 minutes)
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { shop, TOPIC_ORDERS } from '../../lib/platform';
import { PostgresDatabase } from '../../lib/runtime';
import { SCHEMA as ORDERS_SCHEMA } from '../../services/order-service/config';
import { SCHEMA as PAYMENTS_SCHEMA } from '../../services/payment-service/config';
import { SCHEMA as PRODUCTS_SCHEMA } from '../../services/product-service/config';
import { gatewayUrlOf, platformProcesses, type ServiceProcess, sleep } from './processes';

const SHORT = process.argv.includes('--short');
const CLIENTS = Number(process.env.FAULT_CLIENTS ?? 4);
/** A client gives up on one order (same key, retried) after this long without an answer. */
const GIVE_UP_MS = 90_000;
const REQUEST_TIMEOUT_MS = 10_000;
const ADMIN = { email: 'admin@faults.example.com', password: 'Faults-granite-lantern-77' };
const DLQ_TOPIC = 'orders.dlq';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through scripts/faults.sh`);
  return value;
};

interface Attempt {
  readonly key: string;
  readonly phase: string;
  readonly body: { items: { productId: string; quantity: number }[]; paymentToken: string };
  tries: number;
  /** The answer the API acknowledged the order with: 201/202 with the order, or an error naming it. */
  ack?: { status: number; orderId: string; orderStatus: string };
  /** The last answer that was not an acknowledgement (a 5xx, a timeout, a refused connection). */
  lastError?: string;
}

interface Row {
  fault: string;
  attempted: number;
  acknowledged: number;
  retried: number;
  unanswered: number;
  lost: number;
  duplicated: number;
  confirmed: number;
  failed: number;
  /** Failed for a reason other than the customer's (declined card, out of stock): what the fault cost. */
  failedByFault: number;
  problems: string[];
}

/** Clients placing orders until told to stop, each remembering every key it used and what came of it. */
class OrderFlow {
  readonly attempts: Attempt[] = [];
  private phase = 'warm-up';
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly gateway: string,
    private readonly tokens: readonly string[],
    private readonly products: readonly { id: string }[],
  ) {}

  setPhase(phase: string): void {
    this.phase = phase;
  }

  start(): void {
    this.running = true;
    this.workers = this.tokens.map((token, client) => this.worker(token, client));
  }

  /** Stops placing new orders and waits until every order in hand was answered or given up. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async worker(token: string, client: number): Promise<void> {
    let n = 0;
    while (this.running) {
      n += 1;
      // One in ten declined; the scarce product (the last) runs out during the run and yields 409s.
      const paymentToken = n % 10 === client % 10 ? 'tok_chargeDeclined' : 'tok_visa';
      const product = this.products[(n + client) % this.products.length];
      if (!product) throw new Error('no products');
      const attempt: Attempt = {
        key: randomUUID(),
        phase: this.phase,
        body: { items: [{ productId: product.id, quantity: 1 + (n % 2) }], paymentToken },
        tries: 0,
      };
      this.attempts.push(attempt);
      await this.place(attempt, token);
    }
  }

  private async place(attempt: Attempt, token: string): Promise<void> {
    const giveUpAt = Date.now() + GIVE_UP_MS;
    let backoff = 200;
    while (Date.now() < giveUpAt) {
      attempt.tries += 1;
      try {
        const res = await fetch(`${this.gateway}/api/v1/orders`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            'idempotency-key': attempt.key,
          },
          body: JSON.stringify(attempt.body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = (await res.json()) as {
          id?: string;
          status?: string;
          error?: { code?: string; orderId?: string };
        };
        if ((res.status === 201 || res.status === 202) && body.id) {
          attempt.ack = { status: res.status, orderId: body.id, orderStatus: String(body.status) };
          return;
        }
        // An error naming an order answers for a FAILED order (402 declined, 409 out of stock, 502/503 when a
        // service behind failed it): final, and the same again for the same key.
        if (body.error?.orderId) {
          attempt.ack = { status: res.status, orderId: body.error.orderId, orderStatus: 'FAILED' };
          return;
        }
        if (res.status < 500) {
          // A 4xx without an order is a bug of this client or of the API: not retried, reported.
          attempt.lastError = `${res.status} ${JSON.stringify(body)}`;
          return;
        }
        attempt.lastError = `${res.status} ${body.error?.code ?? ''}`;
      } catch (error) {
        attempt.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 2000);
    }
  }
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(1000);
  }
  process.stdout.write(`  (gave up waiting: ${what})\n`);
  return false;
}

const jsonLines = (file: string): Record<string, unknown>[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim().startsWith('{') && line.trim().endsWith('}'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
    : [];

async function main(): Promise<void> {
  const started = Date.now();
  const databaseUrl = required('TEST_DATABASE_URL');
  const brokers = required('TEST_KAFKA_BROKERS');
  const pgCtl = required('PG_CTL_SCRIPT');
  const kafkaCtl = required('KAFKA_CTL_SCRIPT');
  const portOffset = Number(process.env.SHOPFRONT_PORT_OFFSET ?? 12000);
  const dir = mkdtempSync(path.join(tmpdir(), 'shopfront-faults-'));
  const kafka = new Kafka({ clientId: 'faults', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      ...shop.catalog.topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })),
      { topic: DLQ_TOPIC, numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();

  const processes = platformProcesses({
    dir,
    databaseUrl,
    brokers,
    portOffset,
    jwtSecret: `faults-${randomUUID()}-${randomUUID()}`,
    admin: ADMIN,
    // A 20 s broker outage delays events by more than the default 5 s bound; the run allows for it, and waits
    // a minute without orders before closing the last window.
    analyticsEnv: { ANALYTICS_OUT_OF_ORDERNESS_MS: '60000', ANALYTICS_IDLE_TIMEOUT_MS: '60000' },
  });
  const all = Object.values(processes);
  const gateway = gatewayUrlOf(portOffset);
  const log = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}\n`);
  log(`starting ${all.length} service processes (logs in ${path.join(dir, 'logs')})`);
  const startAll = async (names: string[]) => Promise.all(names.map((n) => processes[n]?.start()));
  await startAll(['user-service', 'product-service', 'payment-service']);
  await startAll(['order-service', 'notification-lambda', 'analytics']);
  await startAll(['api-gateway']);
  log('platform up');

  try {
    const adminToken = String(
      (await json(`${gateway}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify(ADMIN) })).body.accessToken,
    );
    const initialStock = [100_000, 100_000, 60];
    const products: { id: string; stock: number }[] = [];
    for (const [i, stock] of initialStock.entries()) {
      const created = await json(`${gateway}/api/v1/products`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({
          name: `Fault beans ${i}`,
          description: 'for the fault run',
          price: { amount: 450 + i, currency: 'EUR' },
          stock,
        }),
      });
      if (created.status !== 201) throw new Error(`product not created: ${JSON.stringify(created.body)}`);
      products.push({ id: String(created.body.id), stock });
    }
    const tokens: string[] = [];
    const userIds: string[] = [];
    for (let i = 0; i < CLIENTS; i += 1) {
      const customer = { email: `faults-${i}-${randomUUID()}@example.com`, password: 'correct horse battery staple' };
      const registered = await json(`${gateway}/api/v1/auth/register`, {
        method: 'POST',
        body: JSON.stringify({ ...customer, name: `Client ${i}` }),
      });
      userIds.push(String(registered.body.id));
      tokens.push(
        String(
          (await json(`${gateway}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify(customer) })).body
            .accessToken,
        ),
      );
    }

    const flow = new OrderFlow(gateway, tokens, products);
    const kill = (name: string) => async () => {
      const service = processes[name] as ServiceProcess;
      log(`SIGKILL ${name} (pid ${service.pid})`);
      await service.kill('SIGKILL');
      await sleep(1000);
      await service.start();
      log(`${name} started again`);
    };
    const faults: { name: string; inject: () => Promise<void> }[] = [
      { name: 'none (baseline)', inject: async () => sleep(8000) },
      {
        name: 'Kafka stopped for 20 s',
        inject: async () => {
          log('stopping Kafka');
          execFileSync(kafkaCtl, ['stop']);
          await sleep(20_000);
          execFileSync(kafkaCtl, ['start']);
          log('Kafka started again');
        },
      },
      {
        name: 'PostgreSQL restarted',
        inject: async () => {
          log('stopping PostgreSQL (immediate)');
          execFileSync(pgCtl, ['stop']);
          await sleep(2000);
          execFileSync(pgCtl, ['start']);
          log('PostgreSQL started again');
        },
      },
      { name: 'order-service SIGKILL', inject: kill('order-service') },
      { name: 'payment-service SIGKILL', inject: kill('payment-service') },
      ...(SHORT
        ? []
        : [
            { name: 'product-service SIGKILL', inject: kill('product-service') },
            { name: 'notification consumer SIGKILL', inject: kill('notification-lambda') },
            { name: 'analytics SIGKILL', inject: kill('analytics') },
            { name: 'api-gateway SIGKILL', inject: kill('api-gateway') },
          ]),
    ];

    flow.start();
    await sleep(3000);
    for (const fault of faults) {
      flow.setPhase(fault.name);
      log(`fault: ${fault.name}`);
      await sleep(4000);
      await fault.inject();
      // Orders keep flowing while the platform recovers.
      await sleep(8000);
    }
    flow.setPhase('after the faults');
    await sleep(3000);
    log('stopping the clients; waiting for every order in hand');
    await flow.stop();

    // Malformed records straight onto `orders`: both consumers must dead-letter them and go on.
    const poison = [
      { key: 'poison-1', value: '{not json' },
      { key: 'poison-2', value: JSON.stringify({ specversion: '1.0', type: 'com.shopfront.order.created.v9' }) },
      {
        key: 'poison-3',
        value: JSON.stringify({ specversion: '1.0', id: 'x', type: 'com.shopfront.order.created.v1' }),
      },
    ];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC_ORDERS, messages: poison });
    await producer.disconnect();
    log(`published ${poison.length} malformed records to ${TOPIC_ORDERS}`);

    const report = await verify({
      flow,
      products,
      userIds,
      databaseUrl,
      kafka,
      dir,
      poisonCount: poison.length,
      log,
    });
    const crashed = all.filter((p) => p.unexpectedExits > 0).map((p) => p.name);
    report.problems.push(...crashed.map((name) => `${name} exited without being killed`));
    print(report.rows, report.problems, report.summary);
    if (process.env.REPORT_DIR) {
      mkdirSync(process.env.REPORT_DIR, { recursive: true });
      writeFileSync(
        path.join(process.env.REPORT_DIR, 'faults.json'),
        `${JSON.stringify({ profile: SHORT ? 'short' : 'full', clients: CLIENTS, durationS: Math.round((Date.now() - started) / 1000), rows: report.rows, summary: report.summary, problems: report.problems }, null, 2)}\n`,
      );
    }
    process.exitCode = report.problems.length === 0 ? 0 : 1;
  } catch (error) {
    for (const p of all) process.stderr.write(`--- ${p.name}\n${p.tail()}\n`);
    throw error;
  } finally {
    await Promise.all(all.map((p) => p.kill('SIGTERM')));
  }
}

interface VerifyInput {
  flow: OrderFlow;
  products: { id: string; stock: number }[];
  userIds: string[];
  databaseUrl: string;
  kafka: Kafka;
  dir: string;
  poisonCount: number;
  log: (line: string) => void;
}

async function verify(input: VerifyInput) {
  const { flow, products, userIds, databaseUrl, dir, log } = input;
  const problems: string[] = [];
  const ordersDb = new PostgresDatabase(databaseUrl, ORDERS_SCHEMA);
  const paymentsDb = new PostgresDatabase(databaseUrl, PAYMENTS_SCHEMA);
  const productsDb = new PostgresDatabase(databaseUrl, PRODUCTS_SCHEMA);
  try {
    log('waiting for every order to finish its saga and every event to be published');
    await until(
      'sagas still running or compensating',
      async () =>
        (await ordersDb.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE saga_step <> 'DONE'")).rows[0]
          ?.n === 0,
      180_000,
    );
    await until(
      'outbox rows unpublished',
      async () =>
        (await ordersDb.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL'))
          .rows[0]?.n === 0,
      120_000,
    );
    const orders = (
      await ordersDb.query<{
        id: string;
        user_id: string;
        idempotency_key: string;
        status: string;
        failure_code: string | null;
      }>('SELECT id, user_id, idempotency_key, status, failure_code FROM orders WHERE user_id = ANY($1)', [userIds])
    ).rows;
    const confirmedIds = new Set(orders.filter((o) => o.status === 'CONFIRMED').map((o) => o.id));
    const notificationsFile = path.join(dir, 'notification-lambda', 'notifications.jsonl');
    const notified = () => jsonLines(notificationsFile).map((line) => String(line.orderId));
    await until(
      'notifications of confirmed orders',
      async () => {
        const seen = new Set(notified());
        return [...confirmedIds].every((id) => seen.has(id));
      },
      120_000,
    );
    const resultsFile = path.join(dir, 'analytics', 'analytics-results.jsonl');
    const windows = () =>
      jsonLines(resultsFile).map((event) => event.data as { windowStart: string; orderCount: number });
    const counted = () => windows().reduce((sum, w) => sum + w.orderCount, 0);
    log('waiting for the analytics windows to close (a minute without orders)');
    await until('analytics windows', async () => counted() >= confirmedIds.size, 150_000);

    const byId = new Map(orders.map((o) => [o.id, o]));
    const byKey = new Map<string, number>();
    for (const o of orders)
      byKey.set(`${o.user_id}/${o.idempotency_key}`, (byKey.get(`${o.user_id}/${o.idempotency_key}`) ?? 0) + 1);
    const charges = (
      await paymentsDb.query<{ order_id: string; succeeded: number; refunded: number }>(
        `SELECT c.order_id,
                count(*) FILTER (WHERE c.status = 'SUCCEEDED')::int AS succeeded,
                count(r.id) FILTER (WHERE r.status = 'SUCCEEDED')::int AS refunded
           FROM charges c LEFT JOIN refunds r ON r.charge_id = c.id
          WHERE c.order_id = ANY($1) GROUP BY c.order_id`,
        [orders.map((o) => o.id)],
      )
    ).rows;
    const chargesOf = new Map(charges.map((c) => [c.order_id, c]));
    const reservations = new Map(
      (
        await productsDb.query<{ id: string; status: string }>(
          'SELECT id, status FROM reservations WHERE id = ANY($1)',
          [orders.map((o) => o.id)],
        )
      ).rows.map((r) => [r.id, r.status]),
    );
    const notifiedCount = new Map<string, number>();
    for (const id of notified()) notifiedCount.set(id, (notifiedCount.get(id) ?? 0) + 1);

    // Per order: what is wrong with it, if anything.
    const orderProblems = (id: string): string[] => {
      const order = byId.get(id);
      if (!order) return ['missing'];
      const found: string[] = [];
      const charge = chargesOf.get(id);
      const notes = notifiedCount.get(id) ?? 0;
      if (order.status === 'CONFIRMED') {
        if (charge?.succeeded !== 1 || charge.refunded !== 0)
          found.push(`charged ${charge?.succeeded ?? 0}x, refunded ${charge?.refunded ?? 0}x`);
        if (notes !== 1) found.push(`notified ${notes}x`);
        if (reservations.get(id) !== 'RESERVED') found.push(`reservation ${reservations.get(id) ?? 'missing'}`);
      } else {
        if ((charge?.succeeded ?? 0) !== (charge?.refunded ?? 0))
          found.push(`failed but charged ${charge?.succeeded}x, refunded ${charge?.refunded}x`);
        if (notes !== 0) found.push(`failed but notified ${notes}x`);
        if ((reservations.get(id) ?? 'RELEASED') !== 'RELEASED') found.push('failed but stock still reserved');
      }
      return found;
    };

    const phases = [...new Set(flow.attempts.map((a) => a.phase))];
    const rows: Row[] = phases.map((fault) => {
      const attempts = flow.attempts.filter((a) => a.phase === fault);
      const acked = attempts.filter((a) => a.ack);
      const row: Row = {
        fault,
        attempted: attempts.length,
        acknowledged: acked.length,
        retried: attempts.filter((a) => a.tries > 1).length,
        unanswered: attempts.length - acked.length,
        lost: 0,
        duplicated: 0,
        confirmed: 0,
        failed: 0,
        failedByFault: 0,
        problems: [],
      };
      for (const attempt of attempts) {
        const userKey = orders.find((o) => o.idempotency_key === attempt.key);
        const copies = userKey ? (byKey.get(`${userKey.user_id}/${attempt.key}`) ?? 0) : 0;
        if (copies > 1) row.duplicated += 1;
        if (!attempt.ack) {
          if (attempt.lastError) row.problems.push(`${attempt.key}: never answered (${attempt.lastError})`);
          continue;
        }
        const order = byId.get(attempt.ack.orderId);
        if (!order) {
          row.lost += 1;
          row.problems.push(`${attempt.ack.orderId}: acknowledged ${attempt.ack.status}, not in the database`);
          continue;
        }
        if (attempt.ack.orderStatus !== 'PENDING' && attempt.ack.orderStatus !== order.status) {
          row.lost += 1;
          row.problems.push(`${order.id}: acknowledged ${attempt.ack.orderStatus}, now ${order.status}`);
        }
        if (order.status === 'CONFIRMED') row.confirmed += 1;
        else {
          row.failed += 1;
          if (!['PAYMENT_DECLINED', 'OUT_OF_STOCK'].includes(order.failure_code ?? '')) row.failedByFault += 1;
        }
        const wrong = orderProblems(order.id);
        if (wrong.some((w) => w.startsWith('charged') || w.startsWith('notified 2'))) row.duplicated += 1;
        row.problems.push(...wrong.map((w) => `${order.id}: ${w}`));
      }
      return row;
    });
    for (const row of rows) problems.push(...row.problems.map((p) => `${row.fault}: ${p}`));

    // Orders nobody acknowledged (a client gave up) must be consistent too.
    const acknowledgedIds = new Set(flow.attempts.flatMap((a) => (a.ack ? [a.ack.orderId] : [])));
    for (const order of orders.filter((o) => !acknowledgedIds.has(o.id))) {
      problems.push(...orderProblems(order.id).map((w) => `unacknowledged order ${order.id}: ${w}`));
    }

    // Stock: each product's initial stock less what its confirmed orders took.
    const taken = (
      await ordersDb.query<{ product_id: string; quantity: number }>(
        `SELECT i.product_id, sum(i.quantity)::int AS quantity FROM order_items i JOIN orders o ON o.id = i.order_id
          WHERE o.status = 'CONFIRMED' AND o.user_id = ANY($1) GROUP BY i.product_id`,
        [userIds],
      )
    ).rows;
    for (const product of products) {
      const now = (await productsDb.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [product.id]))
        .rows[0]?.stock;
      const expected = product.stock - (taken.find((t) => t.product_id === product.id)?.quantity ?? 0);
      if (now !== expected) problems.push(`product ${product.id}: stock ${now}, expected ${expected}`);
    }

    // Analytics: every confirmed order counted once across the windows.
    if (counted() !== confirmedIds.size)
      problems.push(
        `analytics counted ${counted()} orders in ${windows().length} windows, ${confirmedIds.size} confirmed`,
      );
    const windowStarts = windows().map((w) => w.windowStart);
    if (new Set(windowStarts).size !== windowStarts.length) problems.push('analytics emitted a window twice');

    // Dead letters: each consumer group sent each malformed record there once, and went on.
    const dlq = await readTopic(input.kafka, DLQ_TOPIC);
    const dlqByGroup = new Map<string, number>();
    for (const record of dlq) dlqByGroup.set(record.group, (dlqByGroup.get(record.group) ?? 0) + 1);
    for (const group of [
      shop.consumerGroup('notification-lambda', TOPIC_ORDERS),
      shop.consumerGroup('analytics', TOPIC_ORDERS),
    ]) {
      if ((dlqByGroup.get(group) ?? 0) < input.poisonCount)
        problems.push(`${group} dead-lettered ${dlqByGroup.get(group) ?? 0} of ${input.poisonCount} malformed records`);
    }

    return {
      rows,
      problems,
      summary: {
        orders: orders.length,
        confirmed: confirmedIds.size,
        notified: notified().length,
        analyticsCounted: counted(),
        analyticsWindows: windows().length,
        deadLettered: Object.fromEntries(dlqByGroup),
      },
    };
  } finally {
    await Promise.all([ordersDb.close(), paymentsDb.close(), productsDb.close()]);
  }
}

/** Every record on a topic, with the consumer group that dead-lettered it (from its headers). */
async function readTopic(kafka: Kafka, topic: string): Promise<{ group: string }[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  const records: { group: string }[] = [];
  if (total === 0) return records;
  const consumer = kafka.consumer({ groupId: `faults-reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, v === undefined ? '' : String(v)]),
        );
        records.push({ group: headers['x-dead-letter-group'] ?? '?' });
        if (records.length >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}

function print(rows: Row[], problems: string[], summary: Record<string, unknown>): void {
  const head = [
    'fault',
    'attempted',
    'acknowledged',
    'lost',
    'duplicated',
    'retried',
    'unanswered',
    'confirmed',
    'failed',
    'failed by the fault',
  ];
  const table = rows.map((r) => [
    r.fault,
    r.attempted,
    r.acknowledged,
    r.lost,
    r.duplicated,
    r.retried,
    r.unanswered,
    r.confirmed,
    r.failed,
    r.failedByFault,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
  const line = (cells: (string | number)[]) =>
    cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0))).join('  ');
  process.stdout.write(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of table) process.stdout.write(`${line(row)}\n`);
  process.stdout.write(`\n${JSON.stringify(summary)}\n`);
  if (problems.length === 0)
    process.stdout.write('\nno order lost, duplicated, double-charged, double-notified or left holding stock\n');
  else {
    process.stdout.write(`\n${problems.length} problem(s):\n`);
    for (const problem of problems.slice(0, 50)) process.stdout.write(`  ${problem}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `fault run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
