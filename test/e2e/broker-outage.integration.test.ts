import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PostgresDatabase } from '../../lib/runtime';
import { ADMIN, type RunningPlatform, startPlatform } from './platform';

const databaseUrl = process.env.TEST_DATABASE_URL;
const brokers = process.env.TEST_KAFKA_BROKERS;
// scripts/with-kafka.sh exports the broker's pid; freezing it (SIGSTOP) takes the broker away without a
// clean shutdown: clients see requests hang and time out, as in a partition or a stalled broker.
const brokerPid = Number(process.env.KAFKA_PID);
const suite = databaseUrl && brokers && brokerPid ? describe : describe.skip;

suite('orders while the Kafka broker is away (real PostgreSQL and Kafka)', () => {
  let platform: RunningPlatform;
  beforeAll(async () => {
    platform = await startPlatform({ databaseUrl, kafkaBrokers: brokers });
  }, 90_000);
  afterAll(async () => {
    process.kill(brokerPid, 'SIGCONT');
    await platform?.stop();
  }, 60_000);

  const post = async (route: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${platform.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('acknowledges orders during the outage, then notifies each confirmed order exactly once, charges once, leaves no stock reserved for failures', async () => {
    const adminToken = String((await post('/api/v1/auth/login', ADMIN)).body.accessToken);
    const product = await post(
      '/api/v1/products',
      { name: 'Outage beans', description: 'x', price: { amount: 700, currency: 'EUR' }, stock: 10_000 },
      { authorization: `Bearer ${adminToken}` },
    );
    const customer = { email: `outage-${Date.now()}@example.com`, password: 'correct horse battery staple' };
    await post('/api/v1/auth/register', { ...customer, name: 'Outage' });
    const token = String((await post('/api/v1/auth/login', customer)).body.accessToken);
    const order = (paymentToken: string) =>
      post(
        '/api/v1/orders',
        { items: [{ productId: String(product.body.id), quantity: 1 }], paymentToken },
        { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
      );

    const before = await Promise.all(Array.from({ length: 5 }, () => order('tok_visa')));
    process.kill(brokerPid, 'SIGSTOP');
    const during = await Promise.all([
      ...Array.from({ length: 15 }, () => order('tok_visa')),
      ...Array.from({ length: 5 }, () => order('tok_chargeDeclined')),
    ]);
    await new Promise((r) => setTimeout(r, 15_000));
    const file = path.join(platform.dataDir, 'notifications.jsonl');
    const notified = () =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => String((JSON.parse(line) as { orderId?: string }).orderId))
        : [];
    // While the broker is frozen nothing of the orders placed meanwhile can have reached a consumer.
    const placedDuring = during.filter((r) => r.status === 201).map((r) => String(r.body.id));
    expect(placedDuring.filter((id) => notified().includes(id))).toEqual([]);
    process.kill(brokerPid, 'SIGCONT');

    const all = [...before, ...during];
    const confirmed = all.filter((r) => r.status === 201).map((r) => String(r.body.id));
    const declined = all
      .filter((r) => r.status === 402)
      .map((r) => String((r.body.error as { orderId: string }).orderId));
    expect(confirmed).toHaveLength(20);
    expect(declined).toHaveLength(5);

    const deadline = Date.now() + 120_000;
    while (!confirmed.every((id) => notified().includes(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
    }
    // Every confirmed order once, and nothing for a failed one.
    const lines = notified();
    for (const id of confirmed) expect(lines.filter((l) => l === id)).toHaveLength(1);
    for (const id of declined) expect(lines).not.toContain(id);

    const payments = new PostgresDatabase(databaseUrl ?? '', 'payments');
    const products = new PostgresDatabase(databaseUrl ?? '', 'products');
    try {
      const charges = await payments.query<{ order_id: string; succeeded: number }>(
        "SELECT order_id, count(*) FILTER (WHERE status = 'SUCCEEDED')::int AS succeeded FROM charges WHERE order_id = ANY($1) GROUP BY order_id",
        [[...confirmed, ...declined]],
      );
      const byOrder = new Map(charges.rows.map((r) => [r.order_id, r.succeeded]));
      for (const id of confirmed) expect(byOrder.get(id)).toBe(1);
      for (const id of declined) expect(byOrder.get(id) ?? 0).toBe(0);
      const reservations = await products.query<{ id: string; status: string }>(
        'SELECT id, status FROM reservations WHERE id = ANY($1)',
        [[...confirmed, ...declined]],
      );
      const status = new Map(reservations.rows.map((r) => [r.id, r.status]));
      for (const id of declined) expect(status.get(id) ?? 'RELEASED').toBe('RELEASED');
      for (const id of confirmed) expect(status.get(id)).toBe('RESERVED');
      const stock = await products.query<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [
        String(product.body.id),
      ]);
      expect(stock.rows[0]?.stock).toBe(10_000 - confirmed.length);
    } finally {
      await payments.close();
      await products.close();
    }
  }, 240_000);
});
