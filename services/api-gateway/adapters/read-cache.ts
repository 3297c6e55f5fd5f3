/**
 * A read-through cache with a bounded staleness: an entry is served for `ttlMs` after it was loaded, concurrent
 * misses of one key share one load (so a burst of readers costs one upstream call per key per `ttlMs`), a failed
 * load is never kept, and at most `maxEntries` keys are held (the oldest loaded goes first).
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, { readonly value: Promise<V>; readonly loadedAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    if (this.ttlMs <= 0) return load();
    const found = this.entries.get(key);
    if (found && this.now() - found.loadedAt < this.ttlMs) return found.value;
    const value = load();
    this.entries.delete(key);
    this.entries.set(key, { value, loadedAt: this.now() });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return value;
  }

  /** Forgets everything: the next read of every key loads afresh. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
