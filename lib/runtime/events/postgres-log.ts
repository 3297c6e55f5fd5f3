import pg from 'pg';
import type { Logger } from '../logger';
import * as bus from './bus';
import { partitionOf } from './local-log';

export interface PostgresLogOptions {
  /** The database the log lives in (schema `events`); the local platform's own. */
  readonly url: string;
  /** Partitions per topic; a topic not listed gets `defaultPartitions`. */
  readonly partitions: Readonly<Record<string, number>>;
  /** @default 3 */
  readonly defaultPartitions?: number;
  readonly logger: Logger;
  /** Records a consumer takes from a partition at once; their offsets are committed together. @default 100 */
  readonly batchSize?: number;
  /** How often an idle consumer looks again without a notification (a missed NOTIFY costs at most this). @default 1000 */
  readonly pollMs?: number;
  /**
   * How long a consumer waits after a batch smaller than `batchSize`, or after a notification, before it reads
   * again, so records appended meanwhile arrive as one batch (Kafka's fetch.max.wait.ms, in short). Reading record by
   * record as they come costs a transaction and the handler's statements each time: under the order bench, 20 ms
   * gave 192–206 orders/s at 8.8–9.4 ms of CPU per order, 100 ms 237/s at 7.8 ms, for 100 ms more to a
   * notification (commit to notification line p99 208–233 -> 254 ms). @default 100
   */
  readonly lingerMs?: number;
  /** Records older than this are deleted, read or not, as Kafka's time retention does. @default 7 days */
  readonly retentionMs?: number;
  /** How its connections name themselves in `pg_stat_activity` (`application_name`). @default 'shopfront events' */
  readonly applicationName?: string;
  /** How often this instance deletes expired records. @default 1 hour */
  readonly trimEveryMs?: number;
}

const CHANNEL = 'shopfront_events';
/** The advisory lock key creators of the schema take turns on (any constant of this log's own). */
const SCHEMA_LOCK = 7_305_417_001;

const SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS events;
CREATE TABLE IF NOT EXISTS events.partitions (
  topic text NOT NULL,
  partition int NOT NULL,
  next_offset bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS events.records (
  topic text NOT NULL,
  partition int NOT NULL,
  "offset" bigint NOT NULL,
  key text,
  value text NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}',
  appended_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (topic, partition, "offset")
);
CREATE TABLE IF NOT EXISTS events.group_offsets (
  group_id text NOT NULL,
  topic text NOT NULL,
  partition int NOT NULL,
  next_offset bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (group_id, topic, partition)
);
-- An append in one round trip: offsets are taken under each partition's row lock, partitions in ascending order (two
-- appends never wait on each other in a cycle), records in the order given within a partition, then the consumers
-- are notified (delivered at commit). Called outside a transaction, the statement is the transaction.
CREATE OR REPLACE FUNCTION events.append(
  p_topic text, p_partitions integer[], p_keys text[], p_values text[], p_headers text[], p_channel text
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  part integer;
  n integer;
  first bigint;
BEGIN
  FOR part, n IN SELECT p, count(*) FROM unnest(p_partitions) AS p GROUP BY p ORDER BY p LOOP
    UPDATE events.partitions SET next_offset = next_offset + n WHERE topic = p_topic AND partition = part
      RETURNING next_offset - n INTO first;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'topic % has no partition %', p_topic, part;
    END IF;
    INSERT INTO events.records (topic, partition, "offset", key, value, headers)
      SELECT p_topic, part, first + row_number() OVER (ORDER BY m.i) - 1, m.k, m.v, m.h::jsonb
      FROM unnest(p_partitions, p_keys, p_values, p_headers) WITH ORDINALITY AS m(p, k, v, h, i)
      WHERE m.p = part;
  END LOOP;
  PERFORM pg_notify(p_channel, p_topic);
END
$$;`;

/** What one read of a partition found and handled. */
type Read = 'a full batch' | 'part of a batch' | 'nothing';

interface RecordRow {
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  appended_at: Date;
}

/**
 * The wait of an idle partition's consumer before it looks again: `pollMs` give or take half. An append wakes every
 * partition of the topic at once, so without the spread the partitions' polls stay in step for good and each poll
 * takes as many pooled connections as there are partitions; spread, they rarely overlap and one connection serves
 * them, so the others close after the pool's idle timeout (six idle PostgreSQL backends fewer per consumer group).
 */
export const idlePollMs = (pollMs: number, random: () => number = Math.random): number =>
  Math.round(pollMs * (0.5 + random()));

/**
 * An event log with Kafka's semantics kept in PostgreSQL, so services in separate processes (or worker threads)
 * share it: topics split into partitions by key (per-key order), offsets assigned under the partition's row lock,
 * consumer groups whose committed offsets live beside the records, at-least-once delivery with the same retries
 * and dead-lettering as the Kafka adapter. A consumer owns a partition while it holds the lock on its group's offset
 * row (`FOR UPDATE SKIP LOCKED`), so two consumers of one group never take the same partition. Appends NOTIFY the
 * consumers; an idle consumer also looks again every `pollMs`.
 */
export class PostgresEventLog implements bus.EventBus {
  private readonly pool: pg.Pool;
  private readonly ready: Promise<void>;
  private readonly known = new Map<string, Promise<number>>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private listener?: pg.Client;
  private closed = false;
  private readonly trimmer: NodeJS.Timeout;
  private get applicationName(): string {
    return this.options.applicationName ?? 'shopfront events';
  }

  constructor(private readonly options: PostgresLogOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: 12,
      idleTimeoutMillis: 30_000,
      application_name: this.applicationName,
    });
    this.pool.on('error', (error) => options.logger.warn({ err: error }, 'an idle event-log connection failed'));
    this.ready = this.createSchema();
    this.ready.catch(() => undefined);
    this.trimmer = setInterval(() => {
      this.trim().catch((error: unknown) => options.logger.warn({ err: error }, 'trimming the event log failed'));
    }, options.trimEveryMs ?? 3_600_000);
    this.trimmer.unref();
  }

  /** Deletes the records older than the retention; returns how many. Safe to run from several processes at once. */
  async trim(): Promise<number> {
    await this.ready;
    const deleted = await this.pool.query(
      `DELETE FROM events.records WHERE appended_at < clock_timestamp() - $1::integer * interval '1 millisecond'`,
      [this.options.retentionMs ?? 7 * 86_400_000],
    );
    return deleted.rowCount ?? 0;
  }

  /**
   * Several processes may create the schema at once: they take turns (a transaction-scoped advisory lock; the
   * statements run as one implicit transaction), and one that still loses a race sees a duplicate and tries again.
   */
  private async createSchema(attempts = 3): Promise<void> {
    try {
      await this.pool.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK});\n${SCHEMA_SQL}`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempts <= 1 || (code !== '23505' && code !== '42P07')) throw error;
      await this.createSchema(attempts - 1);
    }
  }

  /** Creates the topic's partition rows once; resolves to its partition count. */
  private partitionCount(topic: string): Promise<number> {
    let known = this.known.get(topic);
    if (!known) {
      const count = this.options.partitions[topic] ?? this.options.defaultPartitions ?? 3;
      known = this.ready.then(async () => {
        await this.pool.query(
          `INSERT INTO events.partitions (topic, partition) SELECT $1, p FROM generate_series(0, $2 - 1) p
           ON CONFLICT DO NOTHING`,
          [topic, count],
        );
        return count;
      });
      known.catch(() => this.known.delete(topic));
      this.known.set(topic, known);
    }
    return known;
  }

  async publish(topic: string, messages: readonly bus.OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('the event log is closed');
    if (messages.length === 0) return;
    const count = await this.partitionCount(topic);
    await this.pool.query('SELECT events.append($1, $2::integer[], $3::text[], $4::text[], $5::text[], $6)', [
      topic,
      messages.map((m) => partitionOf(m.key, count)),
      messages.map((m) => m.key),
      messages.map((m) => m.value),
      messages.map((m) => JSON.stringify(m.headers ?? {})),
      CHANNEL,
    ]);
  }

  /** One LISTEN connection for every consumer of this log; reopened when it breaks. */
  private async listen(): Promise<void> {
    if (this.listener || this.closed) return;
    const client = new pg.Client({ connectionString: this.options.url, application_name: this.applicationName });
    this.listener = client;
    client.on('notification', (note) => {
      for (const wake of [...(this.waiters.get(note.payload ?? '') ?? [])]) wake();
    });
    client.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'the event-log listener failed; consumers poll until it is back');
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      if (this.listener === client) this.listener = undefined;
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Resolves after `ms`, or at once when stopping. With `lingerOnAppend`, the first append to the topic meanwhile
   * shortens the rest to the linger, so a burst of appends is read at once; without, appends change nothing.
   */
  private pause(topic: string, stopping: () => boolean, ms: number, lingerOnAppend: boolean): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(topic) ?? new Set();
      this.waiters.set(topic, set);
      let lingering = !lingerOnAppend;
      let timer: NodeJS.Timeout;
      const finish = () => {
        clearTimeout(timer);
        set.delete(wake);
        resolve();
      };
      const wake = () => {
        if (stopping()) return finish();
        if (lingering) return;
        lingering = true;
        clearTimeout(timer);
        timer = setTimeout(finish, this.lingerMs);
      };
      timer = setTimeout(finish, ms);
      set.add(wake);
      if (stopping()) finish();
    });
  }

  private get lingerMs(): number {
    return this.options.lingerMs ?? 100;
  }

  async subscribe(options: bus.SubscribeOptions): Promise<bus.Subscription> {
    const count = await this.partitionCount(options.topic);
    await this.pool.query(
      `INSERT INTO events.group_offsets (group_id, topic, partition) SELECT $1, $2, p FROM generate_series(0, $3 - 1) p
       ON CONFLICT DO NOTHING`,
      [options.groupId, options.topic, count],
    );
    await this.listen().catch((error: unknown) =>
      this.options.logger.warn({ err: error }, 'could not LISTEN for appends; consumers poll'),
    );
    const log = this.options.logger.child({ topic: options.topic, group: options.groupId });
    let stopping = false;
    const isStopping = () => stopping || this.closed;
    const wakeAll = () => {
      for (const wake of [...(this.waiters.get(options.topic) ?? [])]) wake();
    };

    const loop = async (partition: number): Promise<void> => {
      while (!isStopping()) {
        let read: Read = 'nothing';
        try {
          read = await this.consumeBatch(options, partition, isStopping, log);
        } catch (error) {
          if (isStopping()) return;
          log.warn({ partition, err: error }, 'consuming failed; trying again');
        }
        if (isStopping()) break;
        // A full batch: more are waiting, read on. A part of one: let more arrive first. Nothing: wait for an append.
        if (read === 'part of a batch') await this.pause(options.topic, isStopping, this.lingerMs, false);
        else if (read === 'nothing')
          await this.pause(options.topic, isStopping, idlePollMs(this.options.pollMs ?? 1000), true);
      }
    };
    const loops = Array.from({ length: count }, (_, p) => loop(p));
    return {
      stop: async () => {
        stopping = true;
        wakeAll();
        await Promise.all(loops);
      },
    };
  }

  /**
   * Takes the partition for the group (skipped when another consumer holds it), handles up to a batch of records
   * in order, and commits the offset after the last one handled. Resolves with what it read and handled: a full
   * batch, part of one, or nothing (the partition is held by another consumer, empty, or its first record failed).
   */
  private async consumeBatch(
    options: bus.SubscribeOptions,
    partition: number,
    isStopping: () => boolean,
    log: Logger,
  ): Promise<Read> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      // The partition for the group (skipped when another consumer holds it) and its next records, in one round
      // trip: no row when it is held, one row without a record when there is nothing to read.
      const owned = await client.query<{ start: string } & { [K in keyof RecordRow]: RecordRow[K] | null }>(
        `WITH owned AS (
           SELECT next_offset FROM events.group_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3
           FOR UPDATE SKIP LOCKED)
         SELECT owned.next_offset AS start, r."offset", r.key, r.value, r.headers, r.appended_at
         FROM owned LEFT JOIN LATERAL (
           SELECT "offset", key, value, headers, appended_at FROM events.records
           WHERE topic = $2 AND partition = $3 AND "offset" >= owned.next_offset ORDER BY "offset" LIMIT $4) r ON true
         ORDER BY r."offset"`,
        [options.groupId, options.topic, partition, this.options.batchSize ?? 100],
      );
      const start = owned.rows[0]?.start;
      if (start === undefined) {
        await client.query('COMMIT');
        return 'nothing';
      }
      const records = { rows: owned.rows.filter((row): row is typeof row & RecordRow => row.offset !== null) };
      const messages = records.rows.map((row) => ({
        topic: options.topic,
        partition,
        offset: Number(row.offset),
        key: row.key,
        value: row.value,
        headers: row.headers,
        timestamp: row.appended_at.getTime(),
      }));
      const done = await bus.deliverBatch(
        options,
        messages,
        (topic, dead) => this.publish(topic, [dead]),
        (error, attempt, message) =>
          log.warn({ partition, offset: message.offset, attempt, err: error }, 'handler failed'),
        isStopping,
      );
      const next = done > 0 ? (messages[done - 1]?.offset ?? Number(start)) + 1 : Number(start);
      if (next !== Number(start)) {
        await client.query(
          'UPDATE events.group_offsets SET next_offset = $4 WHERE group_id = $1 AND topic = $2 AND partition = $3',
          [options.groupId, options.topic, partition, next],
        );
      }
      await client.query('COMMIT');
      if (next === Number(start)) return 'nothing';
      return messages.length >= (this.options.batchSize ?? 100) ? 'a full batch' : 'part of a batch';
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Records of a topic in partition and offset order, for tests and tools. */
  async records(topic: string): Promise<(bus.DeliveredMessage & { partition: number })[]> {
    await this.ready;
    const result = await this.pool.query<RecordRow & { partition: number }>(
      `SELECT partition, "offset", key, value, headers, appended_at FROM events.records WHERE topic = $1
       ORDER BY partition, "offset"`,
      [topic],
    );
    return result.rows.map((row) => ({
      topic,
      partition: row.partition,
      offset: Number(row.offset),
      key: row.key,
      value: row.value,
      headers: row.headers,
      timestamp: row.appended_at.getTime(),
      attempt: 1,
    }));
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the event log is closed');
    await this.ready;
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.trimmer);
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
