import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../logger';
import * as bus from './bus';

interface StoredRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Record<string, string>;
  readonly timestamp: number;
}

export interface LocalLogOptions {
  /** Partitions per topic (topics are created on first publish or subscribe). */
  readonly partitions: Readonly<Record<string, number>>;
  /** @default 3 for topics not listed (dead-letter topics, tests) */
  readonly defaultPartitions?: number;
  /** Keeps the log and the committed offsets under this folder so a restart resumes. @default in memory only */
  readonly dataDir?: string;
  readonly logger: Logger;
}

/** Kafka's default partitioner hashes keys with murmur2; any stable hash keeps per-key order here. */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/**
 * An in-process log with Kafka's semantics for the local platform: topics of keyed partitions, per-key
 * order, consumer groups with committed offsets, at-least-once delivery (a record is redelivered until
 * its handler succeeds or it is dead-lettered). With `dataDir` it survives restarts: records are appended
 * as JSON lines per partition and offsets are written after each commit.
 */
export class LocalEventLog implements bus.EventBus {
  private readonly topics = new Map<string, StoredRecord[][]>();
  private readonly offsets: Record<string, number> = {};
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: LocalLogOptions) {
    if (options.dataDir) {
      mkdirSync(options.dataDir, { recursive: true });
      const offsetsFile = path.join(options.dataDir, 'offsets.json');
      if (existsSync(offsetsFile)) Object.assign(this.offsets, JSON.parse(readFileSync(offsetsFile, 'utf8')));
    }
  }

  private partitionsOf(topic: string): StoredRecord[][] {
    let partitions = this.topics.get(topic);
    if (!partitions) {
      const count = this.options.partitions[topic] ?? this.options.defaultPartitions ?? 3;
      partitions = Array.from({ length: count }, (_, p) => this.load(topic, p));
      this.topics.set(topic, partitions);
    }
    return partitions;
  }

  private file(topic: string, partition: number): string | undefined {
    return this.options.dataDir ? path.join(this.options.dataDir, `${topic}-${partition}.jsonl`) : undefined;
  }

  private load(topic: string, partition: number): StoredRecord[] {
    const file = this.file(topic, partition);
    if (!file || !existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as StoredRecord);
  }

  async publish(topic: string, messages: readonly bus.OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('the event log is closed');
    const partitions = this.partitionsOf(topic);
    for (const message of messages) {
      const p = partitionOf(message.key, partitions.length);
      const partition = partitions[p] ?? [];
      const record: StoredRecord = {
        offset: partition.length,
        key: message.key,
        value: message.value,
        headers: { ...message.headers },
        timestamp: Date.now(),
      };
      const file = this.file(topic, p);
      if (file) appendFileSync(file, `${JSON.stringify(record)}\n`);
      partition.push(record);
    }
    for (const wake of [...this.waiters]) wake();
  }

  /** Records of a topic, for tests and tools. */
  records(topic: string): (StoredRecord & { partition: number })[] {
    return this.partitionsOf(topic).flatMap((records, partition) => records.map((r) => ({ ...r, partition })));
  }

  private commit(group: string, topic: string, partition: number, next: number): void {
    this.offsets[`${group}|${topic}|${partition}`] = next;
    if (this.options.dataDir) {
      const file = path.join(this.options.dataDir, 'offsets.json');
      writeFileSync(`${file}.tmp`, JSON.stringify(this.offsets));
      renameSync(`${file}.tmp`, file);
    }
  }

  async subscribe(options: bus.SubscribeOptions): Promise<bus.Subscription> {
    const partitions = this.partitionsOf(options.topic);
    let stopping = false;
    const log = this.options.logger.child({ topic: options.topic, group: options.groupId });
    const wakeups = new Set<() => void>();

    const loop = async (partition: number): Promise<void> => {
      const key = `${options.groupId}|${options.topic}|${partition}`;
      while (!stopping && !this.closed) {
        const records = partitions[partition] ?? [];
        const next = this.offsets[key] ?? 0;
        const batch = records.slice(next, next + 100);
        if (batch.length === 0) {
          await new Promise<void>((resolve) => {
            const wake = () => {
              this.waiters.delete(wake);
              wakeups.delete(wake);
              resolve();
            };
            this.waiters.add(wake);
            wakeups.add(wake);
          });
          continue;
        }
        const done = await bus.deliverBatch(
          options,
          batch.map((record) => ({ topic: options.topic, partition, ...record })),
          (topic, dead) => this.publish(topic, [dead]),
          (error, attempt, message) =>
            log.warn({ partition, offset: message.offset, attempt, err: error }, 'handler failed'),
          () => stopping,
        );
        if (done > 0) this.commit(options.groupId, options.topic, partition, next + done);
        if (done < batch.length) return; // stopping mid-retry: the rest stays uncommitted and is delivered again
      }
    };
    const loops = partitions.map((_, p) => loop(p));
    return {
      stop: async () => {
        stopping = true;
        for (const wake of [...wakeups]) wake();
        await Promise.all(loops);
      },
    };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the event log is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }
}
