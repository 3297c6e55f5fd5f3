import type { Logger } from './logger';

/** A dependency probe: resolves when the dependency answers, rejects (or times out) when it does not. */
export type HealthCheck = () => Promise<void>;

export interface HealthReport {
  readonly ready: boolean;
  readonly checks: Record<string, { ok: boolean; error?: string }>;
}

/**
 * Readiness that tells the truth: each named dependency is probed with a timeout, results are cached for
 * `cacheMs` so a burst of probes does not hammer the database, and listeners (gRPC health) follow changes.
 */
export class Health {
  private readonly checks = new Map<string, HealthCheck>();
  private last: { at: number; report: HealthReport } | undefined;
  private inflight: Promise<HealthReport> | undefined;
  private readonly listeners: ((ready: boolean) => void)[] = [];
  private draining = false;

  constructor(
    private readonly logger: Logger,
    private readonly options: { timeoutMs?: number; cacheMs?: number } = {},
  ) {}

  add(name: string, check: HealthCheck): this {
    this.checks.set(name, check);
    return this;
  }

  onChange(listener: (ready: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** From now on the service reports not-ready, so load balancers stop sending work during shutdown. */
  drain(): void {
    this.draining = true;
    this.last = undefined;
    for (const l of this.listeners) l(false);
  }

  async report(): Promise<HealthReport> {
    const cacheMs = this.options.cacheMs ?? 1000;
    if (this.last && Date.now() - this.last.at < cacheMs) return this.last.report;
    this.inflight ??= this.probe().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async probe(): Promise<HealthReport> {
    const timeoutMs = this.options.timeoutMs ?? 2000;
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs, `${name} did not answer within ${timeoutMs} ms`);
          return [name, { ok: true }] as const;
        } catch (error) {
          return [name, { ok: false, error: (error as Error).message }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ready = !this.draining && entries.every(([, r]) => r.ok);
    const previous = this.last?.report.ready;
    this.last = { at: Date.now(), report: { ready, checks } };
    if (previous !== ready) {
      this.logger.info({ ready, checks }, ready ? 'ready' : 'not ready');
      for (const l of this.listeners) l(ready);
    }
    return this.last.report;
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
