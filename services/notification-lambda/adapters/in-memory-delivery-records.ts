import type { ClaimOutcome, DeliveryRecords } from '../domain/ports';

type DeliveryRecord =
  | { readonly status: 'IN_PROGRESS'; readonly leaseExpiresAt: Date }
  | { readonly status: 'COMPLETED'; readonly messageId: string };

/** Local mode's delivery records: the DynamoDB store's semantics, for one process. */
export class InMemoryDeliveryRecords implements DeliveryRecords {
  private readonly records = new Map<string, DeliveryRecord>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async claim(eventId: string, leaseExpiresAt: Date): Promise<ClaimOutcome> {
    const existing = this.records.get(eventId);
    if (existing?.status === 'COMPLETED') return 'completed';
    if (existing !== undefined && existing.leaseExpiresAt.getTime() >= this.now().getTime()) return 'in-progress';
    this.records.set(eventId, { status: 'IN_PROGRESS', leaseExpiresAt });
    return 'claimed';
  }

  async complete(eventId: string, messageId: string): Promise<void> {
    this.records.set(eventId, { status: 'COMPLETED', messageId });
  }

  async release(eventId: string): Promise<void> {
    if (this.records.get(eventId)?.status === 'IN_PROGRESS') this.records.delete(eventId);
  }
}
