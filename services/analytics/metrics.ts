import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The job's Prometheus metrics. Analytics serves no port locally (in the cloud Flink reports its own), so the
 * registry is handed to whoever composes the service; `outcome="late"` is Flink's `numLateRecordsDropped`.
 */
export class AnalyticsMetrics {
  readonly registry = new Registry();
  /** Order events by what happened to them: counted, duplicate, late (dropped), rejected (dead-lettered). */
  readonly events: Counter<'outcome'>;
  readonly windowsEmitted: Counter;
  readonly watermark: Gauge;
  readonly openWindows: Gauge;
  /** Closed windows decided and saved but not yet emitted (the results topic or file failed). */
  readonly pendingWindows: Gauge;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    const registers = [this.registry];
    this.events = new Counter({
      name: 'analytics_order_events_total',
      help: 'Order events consumed, by outcome: counted, duplicate, late (dropped), rejected (dead-lettered).',
      labelNames: ['outcome'],
      registers,
    });
    this.windowsEmitted = new Counter({
      name: 'analytics_windows_emitted_total',
      help: 'Closed windows emitted to the results topic and file.',
      registers,
    });
    this.watermark = new Gauge({
      name: 'analytics_watermark_timestamp_seconds',
      help: 'The event-time watermark, as a Unix time in seconds.',
      registers,
    });
    this.openWindows = new Gauge({ name: 'analytics_open_windows', help: 'Windows still open.', registers });
    this.pendingWindows = new Gauge({
      name: 'analytics_pending_windows',
      help: 'Closed windows saved but not yet emitted.',
      registers,
    });
  }

  /** How many events ended with `outcome`, for tests and tools. */
  async count(outcome: string): Promise<number> {
    const metric = await this.events.get();
    return metric.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  }
}
