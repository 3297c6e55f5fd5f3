import { randomUUID } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import { withDistributedTracing } from '../../../lib/events';
import type { EventBus } from '../../../lib/runtime/events';
import { withTimeout } from '../../../lib/runtime/health';
import type { Logger } from '../../../lib/runtime/logger';
import type { OutboxStore } from '../store/outbox-store';
import { Sleeper } from './sleeper';

export interface OutboxRelayOptions {
  readonly store: OutboxStore;
  readonly bus: EventBus;
  readonly topic: string;
  readonly logger: Logger;
  /** Where the lag gauges and the published counter are registered (the service's ServiceMetrics registry). */
  readonly registry?: Registry;
  /** Pause between rounds that found nothing to publish. */
  readonly pollMs: number;
  /** @default 100 */
  readonly batchSize?: number;
  /**
   * How long a woken relay waits before its round, so the events of the orders confirmed meanwhile go in the same
   * round (a round costs three statements whatever its size). @default 20
   */
  readonly lingerMs?: number;
  /** Longest pause after failed rounds (doubling from pollMs). @default 30000 */
  readonly maxBackoffMs?: number;
  /** How long a publish may take before the round counts as failed. @default 10000 */
  readonly publishTimeoutMs?: number;
  /** How long a claim keeps other relays off a row; longer than any publish. @default 60000 */
  readonly claimMs?: number;
  /** Published rows older than this are deleted (checked hourly). @default 168 (7 days) */
  readonly retentionHours?: number;
}

/** The relay's metrics, registered once per registry (a registry rejects a name twice). */
export class OutboxMetrics {
  readonly published: Counter<'topic'>;
  readonly failures: Counter<'topic'>;

  constructor(registry: Registry, stats: OutboxStore['stats'], logger: Logger) {
    const registers = [registry];
    this.published = new Counter({
      name: 'order_outbox_events_published_total',
      help: 'Outbox events published to the event bus.',
      labelNames: ['topic'],
      registers,
    });
    this.failures = new Counter({
      name: 'order_outbox_publish_failures_total',
      help: 'Outbox relay rounds whose publish failed (the rows are kept and retried).',
      labelNames: ['topic'],
      registers,
    });
    // Read at scrape time: the lag is a fact of the table, whichever replica's relay is running.
    let last: Promise<{ unpublished: number; oldestAgeSeconds: number } | undefined> | undefined;
    const current = () => {
      last ??= stats()
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'outbox lag unavailable');
          return undefined;
        })
        .finally(() => {
          last = undefined;
        });
      return last;
    };
    new Gauge({
      name: 'order_outbox_unpublished_events',
      help: 'Outbox events written and not yet published.',
      registers,
      async collect() {
        const s = await current();
        if (s) this.set(s.unpublished);
      },
    });
    new Gauge({
      name: 'order_outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest unpublished outbox event (0 when none).',
      registers,
      async collect() {
        const s = await current();
        if (s) this.set(s.oldestAgeSeconds);
      },
    });
  }
}

/**
 * Publishes the outbox to the event bus, at least once and in order per key: claim a batch (oldest first),
 * publish it keyed by order id, mark it published after the bus acknowledged it. When the bus is away the
 * rows stay, the relay backs off (doubling, capped) and resumes when the bus answers again.
 */
export class OutboxRelay {
  private readonly sleeper: Sleeper;
  private readonly owner = randomUUID();
  private readonly metrics: OutboxMetrics | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private failures = 0;
  private lastPurge = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.sleeper = new Sleeper(options.lingerMs ?? 20);
    this.metrics = options.registry
      ? new OutboxMetrics(options.registry, () => options.store.stats(), options.logger)
      : undefined;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 100;
  }

  /**
   * One round: claim, publish, mark. Returns how many events it published; throws when the publish (or the
   * database) failed, after giving the claimed rows back.
   */
  async relayOnce(): Promise<number> {
    const rows = await this.options.store.claim(this.owner, this.batchSize, this.options.claimMs ?? 60_000);
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    try {
      await withTimeout(
        this.options.bus.publish(
          this.options.topic,
          rows.map((r) => {
            // The context the event was written in: the bus continues its trace from it, and the event keeps it.
            const created = {
              ...(r.traceparent ? { traceparent: r.traceparent } : {}),
              ...(r.tracestate ? { tracestate: r.tracestate } : {}),
            };
            return {
              key: r.key,
              value: withDistributedTracing(r.payload, created),
              headers: { 'ce-id': r.id, 'ce-type': r.type, 'content-type': 'application/cloudevents+json', ...created },
            };
          }),
        ),
        this.options.publishTimeoutMs ?? 10_000,
        `publishing to ${this.options.topic} did not finish in time`,
      );
    } catch (error) {
      this.metrics?.failures.inc({ topic: this.options.topic });
      await this.options.store
        .release(this.owner, ids, error instanceof Error ? error.message : 'publish failed')
        .catch(() => undefined); // unreleased claims expire on their own
      throw error;
    }
    // A crash here republishes these rows after their claim expires: at least once, never lost.
    await this.options.store.markPublished(this.owner, ids);
    this.metrics?.published.inc({ topic: this.options.topic }, rows.length);
    this.options.logger.debug({ count: rows.length, topic: this.options.topic }, 'outbox events published');
    return rows.length;
  }

  private backoffMs(): number {
    const cap = Math.max(this.options.pollMs, this.options.maxBackoffMs ?? 30_000);
    return Math.min(cap, this.options.pollMs * 2 ** this.failures);
  }

  private async purge(): Promise<void> {
    if (Date.now() - this.lastPurge < 3_600_000) return;
    this.lastPurge = Date.now();
    try {
      const purged = await this.options.store.purgePublished(this.options.retentionHours ?? 168);
      if (purged > 0) this.options.logger.info({ purged }, 'published outbox rows purged');
    } catch (error) {
      this.options.logger.warn({ err: error }, 'purging published outbox rows failed');
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let delay = this.options.pollMs;
      try {
        const published = await this.relayOnce();
        if (this.failures > 0) {
          this.options.logger.info({ failedRounds: this.failures }, 'outbox publishing resumed');
        }
        this.failures = 0;
        if (published >= this.batchSize) delay = 0;
        else await this.purge();
      } catch (error) {
        this.failures += 1;
        delay = this.backoffMs();
        this.options.logger.warn(
          { err: error, failedRounds: this.failures, retryInMs: delay },
          'outbox publish failed; the events stay in the outbox',
        );
      }
      if (delay > 0 && !this.stopping) await this.sleeper.sleep(delay);
    }
  }

  start(): void {
    this.stopping = false;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** New events were written: publish now rather than at the next poll (unless backing off from failures). */
  wake(): void {
    if (this.failures === 0) this.sleeper.wake();
  }

  /** Stops after the round in hand. Unpublished rows stay for the next start (or another replica). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeper.wake({ now: true });
    await this.running;
  }
}
