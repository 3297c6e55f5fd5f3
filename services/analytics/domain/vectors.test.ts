import { parseOrderEvent } from '../../../lib/events';
import { asExpected, expandEvent, loadVectors, type Vector } from '../test-support/vectors';
import { orderFactOf } from './order-fact';
import { type OrderFact, TumblingWindows, type WindowResult, type WindowsSnapshot } from './windows';

const IDLE_TIMEOUT_MS = 10_000;
const vectors = loadVectors();

const factsOf = (vector: Vector): OrderFact[] =>
  vector.events.map((event, index) => {
    const parsed = parseOrderEvent(expandEvent(event));
    if (!parsed.ok) throw new Error(`${vector.file} event ${index}: ${parsed.error.message}`);
    return orderFactOf(parsed.event);
  });

interface Run {
  readonly windows: WindowResult[];
  readonly late: number;
  readonly duplicates: number;
}

/**
 * Feeds the vector's events in order (processing time standing still, so the idle timeout never fires
 * mid-stream), optionally through a JSON round trip of the state before event `restartAt`, then ends the
 * input the way `end` says.
 */
const run = (vector: Vector, end: 'end-of-input' | 'idle', restartAt?: number): Run => {
  const config = { ...vector.config, idleTimeoutMs: IDLE_TIMEOUT_MS };
  let windows = new TumblingWindows(config, 0);
  const out: WindowResult[] = [];
  let late = 0;
  let duplicates = 0;
  factsOf(vector).forEach((fact, index) => {
    if (index === restartAt) {
      const saved = JSON.parse(JSON.stringify(windows.snapshot())) as WindowsSnapshot;
      windows = new TumblingWindows(config, 0, saved);
    }
    const result = windows.add(fact, 0);
    if (result.outcome === 'late') late += 1;
    if (result.outcome === 'duplicate') duplicates += 1;
    out.push(...result.closed);
  });
  if (end === 'end-of-input') {
    out.push(...windows.endOfInput());
  } else {
    expect(windows.tick(IDLE_TIMEOUT_MS - 1)).toEqual([]);
    // Processing time far past every event: the idle watermark reaches the last open window's end.
    out.push(...windows.tick(Date.parse('2100-01-01T00:00:00Z')));
  }
  return { windows: out, late, duplicates };
};

describe.each(vectors.map((vector) => [vector.file, vector] as const))('vector %s', (_file, vector) => {
  it('gives the expected windows, in order, at end of input', () => {
    const result = run(vector, 'end-of-input');
    expect(result.windows.map(asExpected)).toEqual(vector.expected);
    if (vector.lateEvents !== undefined) expect(result.late).toBe(vector.lateEvents);
    if (vector.duplicateEvents !== undefined) expect(result.duplicates).toBe(vector.duplicateEvents);
  });

  it('gives the same windows when the idle timeout ends the stream instead', () => {
    expect(run(vector, 'idle').windows.map(asExpected)).toEqual(vector.expected);
  });

  it('gives the same windows when resumed from a saved state before any event', () => {
    const expected = run(vector, 'end-of-input');
    for (let restartAt = 0; restartAt <= vector.events.length; restartAt++) {
      expect(run(vector, 'end-of-input', restartAt)).toEqual(expected);
    }
  });
});

it('covers the cases the design asks for', () => {
  expect(vectors.map((v) => v.file)).toEqual(
    expect.arrayContaining([
      '01-in-order.json',
      '02-out-of-order-within-bound.json',
      '03-late-beyond-bound.json',
      '04-duplicates.json',
      '06-multiple-currencies.json',
      '07-many-users-with-repeats.json',
      '08-gap-closes-windows.json',
      '09-idle-end.json',
    ]),
  );
});
