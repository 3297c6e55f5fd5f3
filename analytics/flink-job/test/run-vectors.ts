/**
 * Holds the Flink SQL job to the analytics test vectors (services/analytics/vectors) on real Apache Flink and a
 * real Kafka broker: publishes every vector's events to topic `orders`, renders `orders-windows.sql` as the cloud
 * gets it (the catalog's windows filled in at synthesis, then render.sh), runs it once per vector
 * through Flink's SQL Client on a local mini-cluster (bounded to that vector's slice of `orders`, so the end of
 * input fires the last windows), reads what the job wrote to `analytics-results`, and compares it with the
 * vector's expected windows. One more run, not a shared vector, feeds vector 01 with records the job must ignore
 * (see withBadRecords). Prints a table; exits 1 on any mismatch.
 *
 * Run by scripts/flink-vectors.sh, which provides TEST_KAFKA_BROKERS (scripts/with-kafka.sh) and FLINK_LIB
 * (the jars of analytics/flink-job/test/pom.xml).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { type AnalyticsWindowEvent, parseAnalyticsWindowEvent } from '../../../lib/events';
import { shop, TOPIC_ANALYTICS_RESULTS, TOPIC_ORDERS } from '../../../lib/platform';
import {
  type ExpectedWindow,
  expandEvent,
  loadVectors,
  type Vector,
} from '../../../services/analytics/test-support/vectors';
import { FLINK_JOB_DIR, intervalSeconds, JOB_SQL, renderJobSql } from '../template';

const RENDER = join(FLINK_JOB_DIR, 'render.sh');
/** Written to `analytics-results` after each vector's job, so the records can be told apart. */
const MARKER = '#end-of-vector ';
/** The job's windows, as the synthesis renders them; the vectors' `config.windowMs` must be its length. */
const JOB_WINDOW = shop.streamWindow('analytics');

interface KafkaRecord {
  readonly key: string | null;
  readonly value: string | null;
}

/** A run of the job: one vector's records, its expected windows, and where its records are in `orders`. */
interface Case {
  readonly name: string;
  readonly vector: Vector;
  readonly records: readonly KafkaRecord[];
}

interface Slice extends Case {
  readonly startOffset: number;
  readonly endOffset: number;
}

const eventRecords = (vector: Vector): KafkaRecord[] =>
  vector.events.map(expandEvent).map((event) => ({ key: String(event.subject), value: JSON.stringify(event) }));

/**
 * Not a shared vector: vector 01 with records the job must ignore interleaved, several of them with times far
 * ahead. The twin dead-letters such records; the job filters them, and none may move the watermark (else the
 * vector's later events would be late and its windows differ).
 */
function withBadRecords(vector: Vector): Case {
  const [first] = eventRecords(vector);
  const valid = JSON.parse(first?.value ?? '{}') as { data: Record<string, unknown> };
  const variant = (change: Record<string, unknown>, data: Record<string, unknown> = {}) =>
    JSON.stringify({
      ...valid,
      id: `bad-${Object.keys({ ...change, ...data }).join('-')}`,
      ...change,
      data: { ...valid.data, ...data },
    });
  const bad: KafkaRecord[] = [
    { key: 'bad', value: 'not json' },
    { key: 'bad', value: null },
    { key: 'bad', value: variant({ type: 'com.shopfront.order.cancelled.v1', time: '2025-11-26T10:30:00.000Z' }) },
    { key: 'bad', value: variant({ time: '2025-11-26T11:00:00.000Z' }, { userId: '' }) },
    { key: 'bad', value: variant({ time: '2025-11-26T12:00:00.000' }) },
    { key: 'bad', value: variant({ time: '2025-11-26T13:00:00.000Z' }, { total: { amount: 10.5, currency: 'EUR' } }) },
    { key: 'bad', value: variant({ time: '2025-11-26T14:00:00.000Z' }, { total: { amount: 10, currency: 'euro' } }) },
  ];
  const events = eventRecords(vector);
  return {
    name: `${vector.file} + bad records`,
    vector,
    records: [
      ...bad.slice(0, 2),
      events[0],
      ...bad.slice(2, 5),
      ...events.slice(1, 3),
      ...bad.slice(5),
      ...events.slice(3),
    ].filter((r): r is KafkaRecord => r !== undefined),
  };
}

type Verdict =
  | { readonly status: 'pass' }
  | { readonly status: 'fail'; readonly reason: string }
  | { readonly status: 'not run'; readonly reason: string };

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (run scripts/flink-vectors.sh)`);
  return value;
};

/** `'key' = 'value',` lines for the template's option placeholders. */
const options = (entries: Record<string, string>): string =>
  Object.entries(entries)
    .map(([key, value]) => `'${key}' = '${value}',`)
    .join('\n  ');

/**
 * The job for one vector's slice: `job` is the SQL as the synthesis uploads it, rendered by the same script the
 * Dataproc initialization action uses.
 */
function renderJob(job: string, slice: Slice, brokers: string): string {
  const partitionOffset = (offset: number) => `partition:0,offset:${offset}`;
  return execFileSync('bash', [RENDER, job], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      PARALLELISM: '1',
      // Flink's default: with one partition, idleness never matters.
      SOURCE_IDLE_TIMEOUT: '0 ms',
      ORDERS_TOPIC: TOPIC_ORDERS,
      RESULTS_TOPIC: TOPIC_ANALYTICS_RESULTS,
      KAFKA_BOOTSTRAP_SERVERS: brokers,
      CONSUMER_GROUP: `${shop.consumerGroup('analytics', TOPIC_ORDERS)}.vectors`,
      KAFKA_CLIENT_OPTIONS: '',
      OUT_OF_ORDERNESS_SECONDS: intervalSeconds(slice.vector.config.outOfOrdernessMs),
      SCAN_STARTUP_MODE: 'specific-offsets',
      SCAN_OPTIONS: options({
        'scan.startup.specific-offsets': partitionOffset(slice.startOffset),
        'scan.bounded.mode': 'specific-offsets',
        'scan.bounded.specific-offsets': partitionOffset(slice.endOffset),
      }),
    },
  });
}

/** One SQL Client script: every vector's job, each followed by its marker, run one after another. */
function harnessScript(job: string, slices: readonly Slice[], brokers: string): string {
  const parts = [
    `-- Generated by analytics/flink-job/test/run-vectors.ts: each INSERT runs to its end before the next starts.`,
    `SET 'table.dml-sync' = 'true';`,
    `CREATE TEMPORARY TABLE vector_markers (marker STRING) WITH (
  'connector' = 'kafka', 'topic' = '${TOPIC_ANALYTICS_RESULTS}', 'properties.bootstrap.servers' = '${brokers}',
  'format' = 'raw');`,
  ];
  for (const slice of slices) {
    parts.push(`-- ${slice.name}: offsets [${slice.startOffset}, ${slice.endOffset}) of ${TOPIC_ORDERS}`);
    parts.push(renderJob(job, slice, brokers));
    parts.push(`INSERT INTO vector_markers VALUES ('${MARKER}${slice.name}');`);
    parts.push(
      ...['windows', 'window_parts', 'distinct_orders', 'order_facts'].map((v) => `DROP TEMPORARY VIEW ${v};`),
      ...['orders', 'analytics_results'].map((t) => `DROP TEMPORARY TABLE ${t};`),
    );
  }
  return `${parts.join('\n\n')}\n`;
}

/** Runs the SQL Client on a local mini-cluster; resolves with its exit code. Its output goes to `logFile`. */
function runSqlClient(script: string, work: string, flinkLib: string, logFile: string): Promise<number> {
  const conf = join(work, 'conf');
  execFileSync('mkdir', ['-p', conf]);
  // `local`: each job runs on a mini-cluster inside the client's JVM, as `flink run -t local` would.
  writeFileSync(join(conf, 'config.yaml'), 'execution:\n  target: local\n');
  writeFileSync(
    join(conf, 'log4j.properties'),
    [
      'rootLogger.level = WARN',
      'rootLogger.appenderRef.file.ref = File',
      'appender.file.name = File',
      'appender.file.type = FILE',
      `appender.file.fileName = ${join(work, 'flink.log')}`,
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c - %m%n',
    ].join('\n'),
  );
  const scriptFile = join(work, 'vectors.sql');
  writeFileSync(scriptFile, script);
  const log = createWriteStream(logFile);
  const java = spawn(
    'java',
    [
      '-Xmx1g',
      `-Dlog4j.configurationFile=${join(conf, 'log4j.properties')}`,
      '-cp',
      `${flinkLib}/*`,
      'org.apache.flink.table.client.SqlClient',
      'embedded',
      '-f',
      scriptFile,
    ],
    { env: { ...process.env, FLINK_CONF_DIR: conf }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  java.stdout.pipe(log);
  java.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    java.on('error', reject);
    java.on('close', (code) => resolve(code ?? 1));
  });
}

interface ResultRecord {
  readonly key: string | null;
  readonly value: string;
}

/** The end offset of a one-partition topic. */
async function endOffset(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const [partition] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return Number(partition?.high ?? 0);
}

/** The records of a one-partition topic from `from` to its current end. */
async function readFrom(kafka: Kafka, topic: string, from: number): Promise<ResultRecord[]> {
  const high = await endOffset(kafka, topic);
  if (high <= from) return [];
  const records: ResultRecord[] = [];
  const consumer = kafka.consumer({ groupId: `flink-vectors-reader-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`read ${records.length} of ${high - from} records of ${topic}`)),
      30_000,
    );
    consumer.on(consumer.events.GROUP_JOIN, () => consumer.seek({ topic, partition: 0, offset: String(from) }));
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (Number(message.offset) < from) return;
        records.push({ key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? '' });
        if (Number(message.offset) >= high - 1) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}

/** The vectors' shape of a window, with instants and maps in a form that compares by value. */
const normalized = (w: ExpectedWindow) => ({
  start: new Date(w.start).toISOString(),
  end: new Date(w.end).toISOString(),
  orderCount: w.orderCount,
  revenue: Object.fromEntries(Object.entries(w.revenue).sort(([a], [b]) => a.localeCompare(b))),
  uniqueUsers: w.uniqueUsers,
});

const asWindow = (event: AnalyticsWindowEvent): ExpectedWindow => ({
  start: event.data.windowStart,
  end: event.data.windowEnd,
  orderCount: event.data.orderCount,
  revenue: event.data.revenue,
  uniqueUsers: event.data.uniqueUsers,
});

function judge(vector: Vector, records: readonly ResultRecord[]): { verdict: Verdict; emitted: number } {
  const emitted: ExpectedWindow[] = [];
  for (const [index, record] of records.entries()) {
    const parsed = parseAnalyticsWindowEvent(record.value);
    if (!parsed.ok) {
      return { verdict: { status: 'fail', reason: `record ${index}: ${parsed.error.message}` }, emitted: index };
    }
    if (record.key !== parsed.event.subject) {
      const reason = `record ${index}: key ${JSON.stringify(record.key)} is not the window start ${parsed.event.subject}`;
      return { verdict: { status: 'fail', reason }, emitted: index };
    }
    emitted.push(asWindow(parsed.event));
  }
  const got = JSON.stringify(emitted.map(normalized));
  const want = JSON.stringify(vector.expected.map(normalized));
  return {
    verdict: got === want ? { status: 'pass' } : { status: 'fail', reason: `expected ${want}\n      got      ${got}` },
    emitted: emitted.length,
  };
}

async function main(): Promise<void> {
  const brokers = env('TEST_KAFKA_BROKERS');
  const flinkLib = env('FLINK_LIB');
  const work = mkdtempSync(join(tmpdir(), 'shopfront-flink-'));
  const vectors = loadVectors();
  for (const vector of vectors) {
    if (vector.config.windowMs !== JOB_WINDOW.windowMs) {
      throw new Error(
        `${vector.file}: windowMs ${vector.config.windowMs}, but the catalog's analytics window is ${JOB_WINDOW.windowMs}`,
      );
    }
  }
  const job = join(work, JOB_SQL);
  writeFileSync(job, renderJobSql(JOB_WINDOW));

  const kafka = new Kafka({ clientId: 'flink-vectors', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  // One partition each: a vector is one ordered stream, and the markers must follow the windows they close.
  await admin.createTopics({
    waitForLeaders: true,
    topics: [TOPIC_ORDERS, TOPIC_ANALYTICS_RESULTS].map((topic) => ({
      topic,
      numPartitions: 1,
      replicationFactor: 1,
    })),
  });
  await admin.disconnect();
  // A broker used before keeps its records: this run's slices start where the topics end now.
  const ordersStart = await endOffset(kafka, TOPIC_ORDERS);
  const resultsStart = await endOffset(kafka, TOPIC_ANALYTICS_RESULTS);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const inOrder = vectors.find((v) => v.file.startsWith('01-'));
  const cases: Case[] = [
    ...vectors.map((vector) => ({ name: vector.file, vector, records: eventRecords(vector) })),
    ...(inOrder ? [withBadRecords(inOrder)] : []),
  ];
  const slices: Slice[] = [];
  let offset = ordersStart;
  for (const run of cases) {
    if (run.records.length > 0) {
      await producer.send({ topic: TOPIC_ORDERS, acks: -1, messages: [...run.records] });
    }
    slices.push({ ...run, startOffset: offset, endOffset: offset + run.records.length });
    offset += run.records.length;
  }
  await producer.disconnect();
  const ordersEnd = await endOffset(kafka, TOPIC_ORDERS);
  if (ordersEnd !== offset) throw new Error(`${TOPIC_ORDERS} ends at ${ordersEnd}, not ${offset}: another producer?`);
  console.log(
    `published ${offset - ordersStart} records of ${cases.length} runs (${vectors.length} vectors) to ${TOPIC_ORDERS}`,
  );

  const logFile = join(work, 'sql-client.log');
  const started = Date.now();
  const exitCode = await runSqlClient(harnessScript(job, slices, brokers), work, flinkLib, logFile);
  const took = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Flink SQL Client: ${cases.length} jobs, exit code ${exitCode}, ${took} s (log: ${logFile})`);

  // Split the results topic at the markers: what precedes a vector's marker (after the previous one) is its output.
  const records = await readFrom(kafka, TOPIC_ANALYTICS_RESULTS, resultsStart);
  const outputs = new Map<string, ResultRecord[]>();
  let pending: ResultRecord[] = [];
  for (const record of records) {
    if (record.value.startsWith(MARKER)) {
      outputs.set(record.value.slice(MARKER.length), pending);
      pending = [];
    } else {
      pending.push(record);
    }
  }

  const rows = cases.map((run) => {
    const output = outputs.get(run.name);
    if (!output) {
      return { run, emitted: '-', verdict: { status: 'not run', reason: `see ${logFile}` } as Verdict };
    }
    const { verdict, emitted } = judge(run.vector, output);
    return { run, emitted: String(emitted), verdict };
  });

  const width = Math.max(...cases.map((c) => c.name.length));
  console.log(`\n${'vector'.padEnd(width)}  records  expected  emitted  result`);
  for (const { run, emitted, verdict } of rows) {
    console.log(
      `${run.name.padEnd(width)}  ${String(run.records.length).padStart(7)}  ${String(run.vector.expected.length).padStart(8)}  ${emitted.padStart(7)}  ${verdict.status.toUpperCase()}`,
    );
    if (verdict.status !== 'pass') console.log(`      ${verdict.reason}`);
  }
  const passed = rows.filter((r) => r.verdict.status === 'pass').length;
  console.log(`\nflink-vectors: ${passed} passed, ${rows.length - passed} failed`);
  if (exitCode !== 0 || passed !== rows.length) {
    if (exitCode !== 0) console.error(`the SQL Client exited with ${exitCode}; its output:`);
    console.error(readFileSync(logFile, 'utf8').split('\n').slice(-60).join('\n'));
    console.error(`the generated script, the SQL Client's output and Flink's log are in ${work}`);
    process.exitCode = 1;
  } else {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
