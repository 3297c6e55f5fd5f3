/**
 * Holds the Flink SQL job to the analytics test vectors (services/analytics/vectors) on real Apache Flink, a
 * real Kafka broker and a real PostgreSQL 17: publishes every vector's events to topic `orders`, applies the results
 * database's migrations with migrate.sh (as the cloud does) to a database per vector, renders `orders-windows.sql`
 * as the cloud gets it (the catalog's windows filled in at synthesis, then render.sh), runs it once per vector
 * through Flink's SQL Client on a local mini-cluster (bounded to that vector's slice of `orders`, so the end of
 * input fires the last windows), and compares what the job wrote to `analytics-results` and to its database with
 * the vector's expected windows. Then it runs every job again over the same input, as a restart would replay it:
 * the rows must be the same. One more run, not a shared vector, feeds vector 01 with records the job must ignore
 * (see withBadRecords). Prints a table; exits 1 on any mismatch.
 *
 * With a broker that authenticates and authorizes (scripts/with-kafka.sh with KAFKA_SECURITY=sasl-scram, which sets
 * TEST_KAFKA_SASL_MECHANISM), the job runs as it does against MSK: as the SCRAM user of the cross-cloud link, with
 * exactly the ACLs the Data stack's custom resource gives it (applied here by that resource's handler), in the
 * catalog's consumer group, committing its offsets on checkpoints; the run also checks the group's committed offsets.
 * FLINK_VECTORS (a regular expression on the vectors' file names) runs some vectors only.
 *
 * Run by scripts/flink-vectors.sh, which provides TEST_KAFKA_BROKERS (scripts/with-kafka.sh), TEST_DATABASE_URL
 * (a superuser of scripts/with-postgres.sh), FLINK_LIB (the jars of analytics/flink-job/test/pom.xml) and
 * MIGRATE_LIB (those of analytics/flink-job/migrate/pom.xml).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { Client } from 'pg';
import { kafkaAclProperties, kafkaGrantsOf } from '../../../infra/aws/handlers/kafka-acls/acls';
import { createOnEvent } from '../../../infra/aws/handlers/kafka-acls/index';
import { type AnalyticsWindowEvent, parseAnalyticsWindowEvent } from '../../../lib/events';
import { CROSS_CLOUD_LINK, RESULTS_DATABASE, shop, TOPIC_ANALYTICS_RESULTS, TOPIC_ORDERS } from '../../../lib/platform';
import {
  type ExpectedWindow,
  expandEvent,
  loadVectors,
  type Vector,
} from '../../../services/analytics/test-support/vectors';
import { FLINK_JOB_DIR, intervalSeconds, JOB_SQL, renderJobSql } from '../template';

const RENDER = join(FLINK_JOB_DIR, 'render.sh');
const MIGRATE = join(FLINK_JOB_DIR, 'migrate.sh');
const MIGRATIONS = join(FLINK_JOB_DIR, 'migrations');
/**
 * The results database's roles as the cloud has them: an owner that is no superuser (Cloud SQL's built-in user)
 * applies the migrations; the job logs in as an identity of its own that has only what the migrations grant it.
 */
const DB_OWNER = 'analytics_owner';
const DB_WRITER = 'analytics_job';
const TEMPLATE_DB = 'flink_vectors_template';
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
  /** The slice's own results database (vectors share window starts, and each row is keyed by its start). */
  readonly database: string;
}

/** Where the job writes its rows: the test server, logged in as the writer. */
interface ResultsDb {
  readonly host: string;
  readonly port: string;
  readonly writerPassword: string;
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

/** How the job reaches Kafka: its client's security options (template lines) and its consumer group. */
interface JobKafka {
  readonly clientOptions: string;
  readonly consumerGroup: string;
  /** SQL run before the jobs. */
  readonly settings: readonly string[];
}

/** A plaintext broker: a group of the harness's own, so a broker shared with other runs keeps the catalog's intact. */
const PLAINTEXT_JOB: JobKafka = {
  clientOptions: '',
  consumerGroup: `${shop.consumerGroup('analytics', TOPIC_ORDERS)}.vectors`,
  settings: [],
};

/**
 * On a broker with SASL/SCRAM and an authorizer: the SCRAM user of the cross-cloud link with exactly the grants the
 * Data stack gives it, applied by the ACL custom resource's handler as the super user; the job in the catalog's group
 * (the only one it may use), with checkpoints, so that it commits its offsets to that group as on Dataproc.
 */
async function scramJob(admin: Kafka, brokers: string): Promise<JobKafka> {
  const username = CROSS_CLOUD_LINK.scramUser;
  const password = randomBytes(18).toString('base64url');
  await promisify(execFile)(env('KAFKA_CTL_SCRIPT'), ['scram-user', username, password]);
  const applyAcls = createOnEvent(
    () => admin.admin(),
    (message, fields) => console.log(`${message} ${JSON.stringify(fields)}`),
  );
  await applyAcls({
    RequestType: 'Create',
    ResourceProperties: { ...kafkaAclProperties(brokers, username, kafkaGrantsOf(shop, 'analytics')) },
  } as unknown as CloudFormationCustomResourceEvent);
  return {
    clientOptions: options({
      'properties.security.protocol': 'SASL_PLAINTEXT',
      'properties.sasl.mechanism': 'SCRAM-SHA-512',
      'properties.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`,
    }),
    consumerGroup: shop.consumerGroup('analytics', TOPIC_ORDERS),
    settings: [`SET 'execution.checkpointing.interval' = '1 s';`],
  };
}

/** `'key' = 'value',` lines for the template's option placeholders. */
const options = (entries: Record<string, string>): string =>
  Object.entries(entries)
    .map(([key, value]) => `'${key}' = '${value}',`)
    .join('\n  ');

/**
 * The job for one vector's slice: `job` is the SQL as the synthesis uploads it, rendered by the same script the
 * Dataproc initialization action uses.
 */
function renderJob(job: string, slice: Slice, brokers: string, db: ResultsDb, kafka: JobKafka): string {
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
      CONSUMER_GROUP: kafka.consumerGroup,
      KAFKA_CLIENT_OPTIONS: kafka.clientOptions,
      OUT_OF_ORDERNESS_SECONDS: intervalSeconds(slice.vector.config.outOfOrdernessMs),
      SCAN_STARTUP_MODE: 'specific-offsets',
      SCAN_OPTIONS: options({
        'scan.startup.specific-offsets': partitionOffset(slice.startOffset),
        'scan.bounded.mode': 'specific-offsets',
        'scan.bounded.specific-offsets': partitionOffset(slice.endOffset),
      }),
      RESULTS_JDBC_URL: `jdbc:postgresql://${db.host}:${db.port}/${slice.database}?stringtype=unspecified`,
      RESULTS_JDBC_OPTIONS: options({ username: DB_WRITER, password: db.writerPassword }),
    },
  });
}

/** One SQL Client script: every vector's job, each followed by its marker, run one after another. */
function harnessScript(job: string, slices: readonly Slice[], brokers: string, db: ResultsDb, kafka: JobKafka): string {
  const parts = [
    `-- Generated by analytics/flink-job/test/run-vectors.ts: each INSERT runs to its end before the next starts.`,
    `SET 'table.dml-sync' = 'true';`,
    ...kafka.settings,
    `CREATE TEMPORARY TABLE vector_markers (marker STRING) WITH (
  'connector' = 'kafka', 'topic' = '${TOPIC_ANALYTICS_RESULTS}', 'properties.bootstrap.servers' = '${brokers}',
  ${kafka.clientOptions}
  'format' = 'raw');`,
  ];
  for (const slice of slices) {
    parts.push(`-- ${slice.name}: offsets [${slice.startOffset}, ${slice.endOffset}) of ${TOPIC_ORDERS}`);
    parts.push(renderJob(job, slice, brokers, db, kafka));
    parts.push(`INSERT INTO vector_markers VALUES ('${MARKER}${slice.name}');`);
    parts.push(
      ...['windows', 'window_parts', 'distinct_orders', 'order_facts'].map((v) => `DROP TEMPORARY VIEW ${v};`),
      ...['orders', 'analytics_results', 'window_rows'].map((t) => `DROP TEMPORARY TABLE ${t};`),
    );
  }
  return `${parts.join('\n\n')}\n`;
}

/** Runs the SQL Client on a local mini-cluster; resolves with its exit code. Its output goes to `logFile`. */
function runSqlClient(script: string, name: string, work: string, flinkLib: string, logFile: string): Promise<number> {
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
  const scriptFile = join(work, `${name}.sql`);
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

/** The offset `group` committed on the one partition of `orders`, or undefined if none. */
async function committedOffset(kafka: Kafka, group: string): Promise<number | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: group, topics: [TOPIC_ORDERS] });
    const offset = Number(topic?.partitions[0]?.offset ?? -1);
    return offset >= 0 ? offset : undefined;
  } finally {
    await admin.disconnect();
  }
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

/** A window as the database holds it, in the vectors' shape. */
interface WindowRow {
  readonly window_start: Date;
  readonly window_end: Date;
  readonly order_count: string;
  readonly revenue: Record<string, number>;
  readonly unique_users: string;
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** A client of the test server, on `database`, as its superuser. */
async function connect(url: URL, database: string): Promise<Client> {
  const client = new Client({ connectionString: Object.assign(new URL(url), { pathname: `/${database}` }).href });
  await client.connect();
  return client;
}

/** A login role with this password, created when missing (a server used before keeps its roles). */
async function loginRole(admin: Client, name: string, password: string, attributes = ''): Promise<void> {
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
  await admin.query(`${verb} ROLE ${quoteIdent(name)} LOGIN ${attributes} PASSWORD ${quoteLiteral(password)}`);
}

/**
 * The results database as the deploy leaves it, once per slice: the owner's database migrated by migrate.sh (the
 * cloud's migration step), copied as a template into one database per slice.
 */
async function prepareDatabases(url: URL, migrateLib: string, slices: readonly Slice[]): Promise<ResultsDb> {
  const ownerPassword = randomBytes(18).toString('base64url');
  const writerPassword = randomBytes(18).toString('base64url');
  const admin = await connect(url, 'postgres');
  try {
    await loginRole(admin, DB_OWNER, ownerPassword, 'CREATEROLE');
    await loginRole(admin, DB_WRITER, writerPassword);
    for (const database of [TEMPLATE_DB, ...slices.map((s) => s.database)]) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE ${quoteIdent(TEMPLATE_DB)} OWNER ${quoteIdent(DB_OWNER)}`);
    const output = execFileSync('bash', [MIGRATE, migrateLib, MIGRATIONS], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        FLYWAY_URL: `jdbc:postgresql://${url.hostname}:${url.port}/${TEMPLATE_DB}`,
        FLYWAY_USER: DB_OWNER,
        FLYWAY_PASSWORD: ownerPassword,
        RESULTS_WRITER_USER: DB_WRITER,
        // No reader password: the gateway's login is test/reader-login.ts's subject, not the vectors'.
        RESULTS_READER_USER: RESULTS_DATABASE.readerLogin,
      },
    });
    console.log(
      output
        .split('\n')
        .filter((line) => /Successfully applied|Migrating schema/.test(line))
        .join('\n'),
    );
    for (const slice of slices) {
      await admin.query(
        `CREATE DATABASE ${quoteIdent(slice.database)} TEMPLATE ${quoteIdent(TEMPLATE_DB)} OWNER ${quoteIdent(DB_OWNER)}`,
      );
    }
  } finally {
    await admin.end();
  }
  return { host: url.hostname, port: url.port, writerPassword };
}

/** The windows of one slice's database, in the vectors' shape, ordered by start. */
async function readRows(url: URL, database: string): Promise<ExpectedWindow[]> {
  const client = await connect(url, database);
  try {
    const { rows } = await client.query<WindowRow>(
      'SELECT window_start, window_end, order_count, revenue, unique_users FROM analytics_windows ORDER BY window_start',
    );
    return rows.map((row) => ({
      start: row.window_start.toISOString(),
      end: row.window_end.toISOString(),
      orderCount: Number(row.order_count),
      revenue: row.revenue,
      uniqueUsers: Number(row.unique_users),
    }));
  } finally {
    await client.end();
  }
}

/** The windows the job emitted to `analytics-results` per case, split at the markers. */
async function outputsFrom(kafka: Kafka, from: number): Promise<Map<string, ResultRecord[]>> {
  const records = await readFrom(kafka, TOPIC_ANALYTICS_RESULTS, from);
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
  return outputs;
}

const sameWindows = (a: readonly ExpectedWindow[], b: readonly ExpectedWindow[]): boolean =>
  JSON.stringify(a.map(normalized)) === JSON.stringify(b.map(normalized));

/** The verdict on one case: its topic output, then its rows, then the replay's output and rows. */
function verdictOf(
  run: Case,
  first: ResultRecord[] | undefined,
  rows: readonly ExpectedWindow[],
  replay: ResultRecord[] | undefined,
  replayRows: readonly ExpectedWindow[],
  logs: { readonly first: string; readonly replay: string },
): { verdict: Verdict; emitted: string } {
  if (!first) return { emitted: '-', verdict: { status: 'not run', reason: `see ${logs.first}` } };
  const topic = judge(run.vector, first);
  const emitted = String(topic.emitted);
  if (topic.verdict.status !== 'pass') return { emitted, verdict: topic.verdict };
  const want = JSON.stringify(run.vector.expected.map(normalized));
  if (!sameWindows(rows, run.vector.expected)) {
    const reason = `rows: expected ${want}\n      got           ${JSON.stringify(rows.map(normalized))}`;
    return { emitted, verdict: { status: 'fail', reason } };
  }
  if (!replay) {
    return { emitted, verdict: { status: 'not run', reason: `the replay did not finish: see ${logs.replay}` } };
  }
  const again = judge(run.vector, replay);
  if (again.verdict.status !== 'pass') {
    return { emitted, verdict: { status: 'fail', reason: `replay: ${again.verdict.reason}` } };
  }
  if (JSON.stringify(replayRows) !== JSON.stringify(rows)) {
    const reason = `rows after the replay: expected the same ${JSON.stringify(rows)}\n      got ${JSON.stringify(replayRows)}`;
    return { emitted, verdict: { status: 'fail', reason } };
  }
  return { emitted, verdict: { status: 'pass' } };
}

async function main(): Promise<void> {
  const brokers = env('TEST_KAFKA_BROKERS');
  const flinkLib = env('FLINK_LIB');
  const migrateLib = env('MIGRATE_LIB');
  const databaseUrl = new URL(env('TEST_DATABASE_URL'));
  const work = mkdtempSync(join(tmpdir(), 'shopfront-flink-'));
  const only = process.env.FLINK_VECTORS ? new RegExp(process.env.FLINK_VECTORS) : undefined;
  const vectors = loadVectors().filter((v) => !only || only.test(v.file));
  if (vectors.length === 0) throw new Error(`no vector's file name matches FLINK_VECTORS ${only}`);
  for (const vector of vectors) {
    if (vector.config.windowMs !== JOB_WINDOW.windowMs) {
      throw new Error(
        `${vector.file}: windowMs ${vector.config.windowMs}, but the catalog's analytics window is ${JOB_WINDOW.windowMs}`,
      );
    }
  }
  const job = join(work, JOB_SQL);
  writeFileSync(job, renderJobSql(JOB_WINDOW));

  // With SASL, the harness is the broker's super user; the job is not (scramJob).
  const secured = process.env.TEST_KAFKA_SASL_MECHANISM !== undefined;
  const sasl = secured
    ? ({
        mechanism: env('TEST_KAFKA_SASL_MECHANISM'),
        username: env('TEST_KAFKA_ADMIN_USER'),
        password: env('TEST_KAFKA_ADMIN_PASSWORD'),
      } as SASLOptions)
    : undefined;
  const kafka = new Kafka({ clientId: 'flink-vectors', brokers: brokers.split(','), sasl, logLevel: logLevel.NOTHING });
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
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const inOrder = vectors.find((v) => v.file.startsWith('01-'));
  const cases: Case[] = [
    ...vectors.map((vector) => ({ name: vector.file, vector, records: eventRecords(vector) })),
    ...(inOrder ? [withBadRecords(inOrder)] : []),
  ];
  const slices: Slice[] = [];
  let offset = ordersStart;
  for (const [index, run] of cases.entries()) {
    if (run.records.length > 0) {
      await producer.send({ topic: TOPIC_ORDERS, acks: -1, messages: [...run.records] });
    }
    const database = `flink_vectors_${String(index + 1).padStart(2, '0')}`;
    slices.push({ ...run, startOffset: offset, endOffset: offset + run.records.length, database });
    offset += run.records.length;
  }
  await producer.disconnect();
  const ordersEnd = await endOffset(kafka, TOPIC_ORDERS);
  if (ordersEnd !== offset) throw new Error(`${TOPIC_ORDERS} ends at ${ordersEnd}, not ${offset}: another producer?`);
  console.log(
    `published ${offset - ordersStart} records of ${cases.length} runs (${vectors.length} vectors) to ${TOPIC_ORDERS}`,
  );
  const db = await prepareDatabases(databaseUrl, migrateLib, slices);
  const jobKafka = secured ? await scramJob(kafka, brokers) : PLAINTEXT_JOB;
  const script = harnessScript(job, slices, brokers, db, jobKafka);

  /** One pass of every job; the topic's records and the databases' rows it left. */
  const pass = async (name: string) => {
    const resultsStart = await endOffset(kafka, TOPIC_ANALYTICS_RESULTS);
    const logFile = join(work, `${name}.log`);
    const started = Date.now();
    const exitCode = await runSqlClient(script, name, work, flinkLib, logFile);
    const took = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`Flink SQL Client (${name}): ${cases.length} jobs, exit code ${exitCode}, ${took} s (log: ${logFile})`);
    const outputs = await outputsFrom(kafka, resultsStart);
    const rows = new Map<string, ExpectedWindow[]>();
    for (const slice of slices) rows.set(slice.name, await readRows(databaseUrl, slice.database));
    return { exitCode, logFile, outputs, rows };
  };
  const first = await pass('vectors');
  // Flink only logs a refused offset commit; the group's offsets show whether the job may use its group. The Kafka
  // source commits asynchronously when a checkpoint completes, and a job that ends right after its final checkpoint
  // may close its consumer before that commit lands: the last jobs' commits can be lost, so the group may stop at the
  // end of an earlier slice. Any offset this run committed, past where the run began and within what it published,
  // shows the grants let the job commit; none (or one outside that range) shows they did not.
  const committed = secured ? await committedOffset(kafka, jobKafka.consumerGroup) : offset;
  const groupVerdict =
    committed !== undefined && committed > ordersStart && committed <= offset
      ? undefined
      : `the job's group ${jobKafka.consumerGroup} committed ${committed ?? 'no offset'} on ${TOPIC_ORDERS}, not an offset this run published (${ordersStart + 1}..${offset})`;
  if (secured)
    console.log(
      `offsets the job committed to ${jobKafka.consumerGroup}: ${committed ?? 'none'} (this run published ${ordersStart}..${offset})`,
    );
  // The same jobs over the same slices of `orders`, into the same databases: a replay after a restart.
  const replay = await pass('replay');

  const results = slices.map((run) => {
    const rows = first.rows.get(run.name) ?? [];
    const replayRows = replay.rows.get(run.name) ?? [];
    const got = verdictOf(run, first.outputs.get(run.name), rows, replay.outputs.get(run.name), replayRows, {
      first: first.logFile,
      replay: replay.logFile,
    });
    return { run, rows: String(rows.length), ...got };
  });

  const width = Math.max(...cases.map((c) => c.name.length));
  console.log(`\n${'vector'.padEnd(width)}  records  expected  emitted  rows  result`);
  for (const { run, emitted, rows, verdict } of results) {
    console.log(
      `${run.name.padEnd(width)}  ${String(run.records.length).padStart(7)}  ${String(run.vector.expected.length).padStart(8)}  ${emitted.padStart(7)}  ${rows.padStart(4)}  ${verdict.status.toUpperCase()}`,
    );
    if (verdict.status !== 'pass') console.log(`      ${verdict.reason}`);
  }
  const passed = results.filter((r) => r.verdict.status === 'pass').length;
  console.log(
    '\neach result: the windows on analytics-results and the rows in PostgreSQL equal the vector, and a replay of the same input leaves the same rows',
  );
  console.log(`flink-vectors: ${passed} passed, ${results.length - passed} failed`);
  if (groupVerdict) console.log(`FAIL: ${groupVerdict}`);
  const exitCode = first.exitCode || replay.exitCode;
  if (exitCode !== 0 || passed !== results.length || groupVerdict) {
    for (const { exitCode: code, logFile } of [first, replay]) {
      if (code !== 0) console.error(`the SQL Client exited with ${code}; its output:`);
      console.error(readFileSync(logFile, 'utf8').split('\n').slice(-60).join('\n'));
    }
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
