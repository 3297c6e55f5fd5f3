import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { capturedLogger } from '../test-support/logs';
import { LocalEventLog } from '.';
import { eventBusContract } from './bus.contract';

describe('the in-process event log', () => {
  const { logger } = capturedLogger();
  const partitions: Record<string, number> = {};
  const bus = new LocalEventLog({ partitions, logger });
  afterAll(() => bus.close());
  eventBusContract(() => ({
    bus,
    createTopic: async (name, count) => {
      partitions[name] = count;
    },
  }));

  it('survives a restart: records and committed offsets are kept in its data folder', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'event-log-'));
    try {
      const first = new LocalEventLog({ partitions: { orders: 2 }, dataDir: dir, logger });
      await first.publish(
        'orders',
        [1, 2, 3].map((i) => ({ key: `o${i}`, value: `v${i}` })),
      );
      const handled: string[] = [];
      const sub = await first.subscribe({
        topic: 'orders',
        groupId: 'g',
        handle: async (m) => void handled.push(m.value),
      });
      while (handled.length < 3) await new Promise((r) => setTimeout(r, 10));
      await sub.stop();
      await first.close();

      const second = new LocalEventLog({ partitions: { orders: 2 }, dataDir: dir, logger });
      await second.publish('orders', [{ key: 'o4', value: 'v4' }]);
      expect(
        second
          .records('orders')
          .map((r) => r.value)
          .sort(),
      ).toEqual(['v1', 'v2', 'v3', 'v4']);
      const after: string[] = [];
      const resumed = await second.subscribe({
        topic: 'orders',
        groupId: 'g',
        handle: async (m) => void after.push(m.value),
      });
      while (after.length < 1) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      await resumed.stop();
      await second.close();
      expect(after).toEqual(['v4']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
