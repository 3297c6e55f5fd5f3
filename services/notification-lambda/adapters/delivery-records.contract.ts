import type { DeliveryRecords } from '../domain/ports';
import { FakeClock } from '../test-support/clock';

const MINUTE = 60_000;

/** The claim/complete/release protocol every DeliveryRecords implementation must honour. */
export const describeDeliveryRecordsContract = (name: string, create: (clock: FakeClock) => DeliveryRecords) => {
  describe(`${name} honours the delivery records contract`, () => {
    let clock: FakeClock;
    let records: DeliveryRecords;
    const leaseInMinutes = (minutes: number) => new Date(clock.now().getTime() + minutes * MINUTE);

    beforeEach(() => {
      clock = new FakeClock();
      records = create(clock);
    });

    it('lets the first claim on an event id win', async () => {
      expect(await records.claim('evt-1', leaseInMinutes(5))).toBe('claimed');
    });

    it('keeps a live claim exclusive', async () => {
      await records.claim('evt-1', leaseInMinutes(5));
      clock.advance(4 * MINUTE);
      expect(await records.claim('evt-1', leaseInMinutes(5))).toBe('in-progress');
    });

    it('hands over a claim whose lease has lapsed (its holder crashed)', async () => {
      await records.claim('evt-1', leaseInMinutes(5));
      clock.advance(5 * MINUTE + 1);
      expect(await records.claim('evt-1', leaseInMinutes(5))).toBe('claimed');
    });

    it('reports a completed event as completed, however long ago the lease lapsed', async () => {
      await records.claim('evt-1', leaseInMinutes(5));
      await records.complete('evt-1', 'msg-1');
      expect(await records.claim('evt-1', leaseInMinutes(5))).toBe('completed');
      clock.advance(60 * MINUTE);
      expect(await records.claim('evt-1', leaseInMinutes(5))).toBe('completed');
    });

    it('lets a retry claim again after a release', async () => {
      await records.claim('evt-1', leaseInMinutes(5));
      await records.release('evt-1');
      expect(await records.claim('evt-1', leaseInMinutes(5))).toBe('claimed');
    });

    it('never releases a completed event', async () => {
      await records.claim('evt-1', leaseInMinutes(5));
      await records.complete('evt-1', 'msg-1');
      await records.release('evt-1');
      expect(await records.claim('evt-1', leaseInMinutes(5))).toBe('completed');
    });

    it('treats releasing an unknown event as a no-op', async () => {
      await expect(records.release('never-claimed')).resolves.toBeUndefined();
    });

    it('keeps event ids independent', async () => {
      await records.claim('evt-1', leaseInMinutes(5));
      await records.complete('evt-1', 'msg-1');
      expect(await records.claim('evt-2', leaseInMinutes(5))).toBe('claimed');
    });
  });
};
