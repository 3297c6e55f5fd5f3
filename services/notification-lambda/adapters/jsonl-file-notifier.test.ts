import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Notification } from '../domain/ports';
import { JsonlFileNotifier } from './jsonl-file-notifier';

const notification = (eventId: string): Notification => ({
  eventId,
  eventType: 'com.shopfront.order.created.v1',
  orderId: `ord_${eventId}`,
  recipient: 'ada@example.com',
  subject: 'Order confirmation',
  body: `Thank you for your order ord_${eventId}. Total: €1.00.`,
});

describe('JsonlFileNotifier', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notifier-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens with the file in place: created empty with its folder, or kept as it is', async () => {
    const file = join(dir, 'local', 'notifications.jsonl');
    await (await JsonlFileNotifier.open(file)).close();
    expect(await readFile(file, 'utf8')).toBe('');

    await writeFile(file, '{"messageId":"earlier"}\n');
    await (await JsonlFileNotifier.open(file)).close();
    expect(await readFile(file, 'utf8')).toBe('{"messageId":"earlier"}\n');
  });

  it('appends one JSON line per notification and returns its message id', async () => {
    const file = join(dir, 'local', 'notifications.jsonl');
    let n = 0;
    const notifier = await JsonlFileNotifier.open(file, {
      now: () => new Date('2025-11-26T09:00:00.000Z'),
      newMessageId: () => `local-${++n}`,
    });

    expect(await notifier.send(notification('a'))).toEqual({ messageId: 'local-1' });
    expect(await notifier.send(notification('b'))).toEqual({ messageId: 'local-2' });

    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      messageId: 'local-1',
      sentAt: '2025-11-26T09:00:00.000Z',
      ...notification('a'),
    });
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ messageId: 'local-2', eventId: 'b' });
    await notifier.close();
  });

  it('writes many notifications at once, one line and one message id each', async () => {
    const file = join(dir, 'notifications.jsonl');
    let n = 0;
    const notifier = await JsonlFileNotifier.open(file, { newMessageId: () => `local-${++n}` });
    expect(await notifier.sendAll([notification('a'), notification('b'), notification('c')])).toEqual([
      { messageId: 'local-1' },
      { messageId: 'local-2' },
      { messageId: 'local-3' },
    ]);
    await notifier.close();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as Notification).eventId)).toEqual(['a', 'b', 'c']);
  });

  it('keeps every line whole under concurrent sends, and still appends after it was closed', async () => {
    const file = join(dir, 'notifications.jsonl');
    const notifier = await JsonlFileNotifier.open(file);
    await Promise.all(Array.from({ length: 200 }, (_, i) => notifier.send(notification(`e${i}`))));
    await notifier.close();
    await notifier.send(notification('after'));
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(201);
    const ids = lines.map((line) => (JSON.parse(line) as Notification).eventId);
    expect(new Set(ids).size).toBe(201);
    expect(ids.at(-1)).toBe('after');
  });
});
