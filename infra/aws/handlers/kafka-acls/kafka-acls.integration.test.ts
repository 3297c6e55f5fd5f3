import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type SASLOptions,
} from 'kafkajs';
import { CROSS_CLOUD_LINK, shop, TOPIC_ANALYTICS_RESULTS, TOPIC_ORDERS } from '../../../../lib/platform';
import { type Grant, kafkaAclProperties, kafkaGrantsOf } from './acls';
import { type AclAdmin, createOnEvent } from './index';

/**
 * The ACL handler against a real Kafka broker whose authorizer denies what no ACL allows (scripts/with-kafka.sh with
 * KAFKA_SECURITY=sasl-scram): the grants the Data stack passes make the SCRAM user able to do what the Flink job does
 * and nothing else.
 */
const brokers = process.env.TEST_KAFKA_BROKERS?.split(',');
const mechanism = process.env.TEST_KAFKA_SASL_MECHANISM;
const adminUser = process.env.TEST_KAFKA_ADMIN_USER;
const adminPassword = process.env.TEST_KAFKA_ADMIN_PASSWORD;
const ctlScript = process.env.KAFKA_CTL_SCRIPT;
const authorizerLog = process.env.KAFKA_AUTHORIZER_LOG;
const secured = brokers && mechanism === 'scram-sha-512' && adminUser && adminPassword && ctlScript && authorizerLog;

const suite = secured ? describe : describe.skip;
const USER = CROSS_CLOUD_LINK.scramUser;
const GRANTS = kafkaGrantsOf(shop, 'analytics');
const GROUP = shop.consumerGroup('analytics', TOPIC_ORDERS);
const NOT_GRANTED_TOPIC = 'not-granted';
const NOT_GRANTED_GROUP = `${GROUP}.other`;

const kafkaAs = (username: string, password: string) =>
  new Kafka({
    clientId: `acl-test-${username}`,
    brokers: brokers ?? [],
    sasl: { mechanism: 'scram-sha-512', username, password } as SASLOptions,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100 },
  });

/** Kafka's error name of a kafkajs error, through the wrappers kafkajs puts around a broker's refusal. */
function kafkaErrorType(error: unknown): string | undefined {
  let current = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current.type && current.type !== 'UNKNOWN') return current.type;
    current = (current.cause ?? current.originalError) as typeof current;
  }
  return undefined;
}

/** Resolves with 'ok' once a record is produced, or the refusal's Kafka error name. */
async function produce(kafka: Kafka, topic: string, idempotent = false): Promise<string> {
  const producer = kafka.producer({ idempotent, allowAutoTopicCreation: false });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });
    return 'ok';
  } catch (error) {
    return kafkaErrorType(error) ?? String(error);
  } finally {
    await producer.disconnect();
  }
}

/** Resolves with 'ok' once a record of `topic` is read in `groupId`, or the refusal's Kafka error name. */
async function consume(kafka: Kafka, groupId: string, topic: string): Promise<string> {
  const consumer = kafka.consumer({
    groupId,
    // Retries outlast the group coordinator's first load (NOT_COORDINATOR); refusals are not retried.
    retry: { retries: 8, initialRetryTime: 200, restartOnFailure: async () => false },
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`nothing read from ${topic} in group ${groupId} in 20 s`)),
        20_000,
      );
      const settle = (outcome: string) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        settle(kafkaErrorType(payload.error) ?? String(payload.error)),
      );
      consumer
        .connect()
        .then(() => consumer.subscribe({ topic, fromBeginning: true }))
        .then(() => consumer.run({ eachMessage: async () => settle('ok') }))
        .catch((error: unknown) => settle(kafkaErrorType(error) ?? String(error)));
    });
  } finally {
    await consumer.disconnect();
  }
}

/**
 * What the client saw of a refused action, and what the broker's authorizer denied the user meanwhile
 * (`OPERATION Type:name`, from its log): kafkajs reports some refusals vaguely (a FindCoordinator refused with
 * GROUP_AUTHORIZATION_FAILED surfaces as KafkaJSGroupCoordinatorNotFound), the authorizer names each one.
 */
async function refusal(action: () => Promise<string>): Promise<{ client: string; denied: string[] }> {
  const before = (await readFile(authorizerLog ?? '', 'utf8')).length;
  const client = await action();
  const lines = (await readFile(authorizerLog ?? '', 'utf8')).slice(before).split('\n');
  const denied = new Set<string>();
  for (const line of lines) {
    const m =
      /Principal = (\S+) is Denied operation = (\w+) from host = \S+ on resource = (\w+):LITERAL:(\S+) for/.exec(line);
    if (m && m[1] === `User:${USER}`) denied.add(`${m[2]} ${m[3]}:${m[4]}`);
  }
  return { client, denied: [...denied].sort() };
}

const summary = (grants: readonly Grant[]) =>
  grants.map((g) => `${g.resourceType}:${g.resourceName}:${g.operation}`).sort();

/** The user's ACLs as the broker's authorizer sees them, as `TYPE:name:OPERATION` (literal ALLOW for any host). */
async function aclsOf(admin: Admin): Promise<string[]> {
  const described = await admin.describeAcls({
    principal: `User:${USER}`,
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const name = (values: object, n: number) => Object.entries(values).find(([, v]) => v === n)?.[0];
  return described.resources
    .flatMap((r) =>
      r.acls.map((acl) => {
        const shape =
          r.resourcePatternType === ResourcePatternTypes.LITERAL &&
          acl.permissionType === AclPermissionTypes.ALLOW &&
          acl.host === '*';
        return `${name(AclResourceTypes, r.resourceType)}:${r.resourceName}:${name(AclOperationTypes, acl.operation)}${shape ? '' : ' (other shape)'}`;
      }),
    )
    .sort();
}

/** ACL changes reach the broker's authorizer through the metadata log, after the controller answered. */
async function untilAcls(admin: Admin, expected: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  let seen = await aclsOf(admin);
  while (JSON.stringify(seen) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    seen = await aclsOf(admin);
  }
  expect(seen).toEqual(expected);
}

suite(`the Kafka ACL custom resource on a real broker with an authorizer${secured ? '' : ' (skipped: run with KAFKA_SECURITY=sasl-scram scripts/with-kafka.sh)'}`, () => {
  jest.setTimeout(90_000);
  const password = randomBytes(18).toString('base64url');
  const adminKafka = kafkaAs(adminUser ?? '', adminPassword ?? '');
  const admin = adminKafka.admin();
  const user = kafkaAs(USER, password);
  /** Every admin call the handler makes, by name. */
  const calls: string[] = [];
  const onEvent = createOnEvent(
    (handlerBrokers) => {
      const handlerAdmin = adminKafka.admin();
      expect(handlerBrokers).toEqual(brokers);
      const recorded = (name: keyof AclAdmin) =>
        ((...args: never[]) => {
          calls.push(name);
          return (handlerAdmin[name] as (...a: never[]) => unknown)(...args);
        }) as never;
      return {
        connect: recorded('connect'),
        disconnect: recorded('disconnect'),
        describeAcls: recorded('describeAcls'),
        createAcls: recorded('createAcls'),
        deleteAcls: recorded('deleteAcls'),
      };
    },
    () => undefined,
  );
  const event = (RequestType: 'Create' | 'Update' | 'Delete', grants: readonly Grant[] = GRANTS) =>
    ({
      RequestType,
      ResourceProperties: { ServiceToken: 'token', ...kafkaAclProperties(brokers?.join(',') ?? '', USER, grants) },
      PhysicalResourceId: `kafka-acls:User:${USER}`,
    }) as unknown as CloudFormationCustomResourceEvent;

  beforeAll(async () => {
    await promisify(execFile)(ctlScript ?? '', ['scram-user', USER, password]);
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [...shop.catalog.topics.map((t) => t.name), NOT_GRANTED_TOPIC].map((topic) => ({
        topic,
        numPartitions: 1,
        replicationFactor: 1,
      })),
    });
    for (const topic of [TOPIC_ORDERS, TOPIC_ANALYTICS_RESULTS, NOT_GRANTED_TOPIC]) await seed(topic);
  });

  /** A new record on `topic`, written by the super user: something for the next read to find. */
  const seed = async (topic: string) => {
    const producer = adminKafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'seed', value: `a record of ${topic}` }] });
    await producer.disconnect();
  };

  afterAll(async () => {
    await admin.disconnect();
  });

  it('the grants are the analytics service of the catalog: read orders in its group, write analytics-results', () => {
    expect(summary(GRANTS)).toEqual([`GROUP:${GROUP}:READ`, 'TOPIC:analytics-results:WRITE', 'TOPIC:orders:READ']);
  });

  it('before Create the user is authenticated but may do nothing', async () => {
    await untilAcls(admin, []);
    expect(await refusal(() => produce(user, TOPIC_ANALYTICS_RESULTS))).toEqual({
      client: 'TOPIC_AUTHORIZATION_FAILED',
      denied: ['DESCRIBE Topic:analytics-results'],
    });
    expect((await refusal(() => consume(user, GROUP, TOPIC_ORDERS))).denied).toContain('DESCRIBE Topic:orders');
  });

  it('refuses a wrong password', async () => {
    expect(await produce(kafkaAs(USER, `${password}x`), TOPIC_ANALYTICS_RESULTS)).toMatch(/SASL|authenticat/i);
  });

  it('Create gives the user exactly its grants, as literal ALLOW entries for any host', async () => {
    await expect(onEvent(event('Create'))).resolves.toEqual({ PhysicalResourceId: `kafka-acls:User:${USER}` });
    await untilAcls(admin, summary(GRANTS));
    expect(calls.at(-1)).toBe('disconnect');
  });

  it('the user reads orders in its own consumer group', async () => {
    expect(await consume(user, GROUP, TOPIC_ORDERS)).toBe('ok');
  });

  it('the user writes analytics-results, also as an idempotent producer (no cluster grant needed)', async () => {
    expect(await produce(user, TOPIC_ANALYTICS_RESULTS)).toBe('ok');
    expect(await produce(user, TOPIC_ANALYTICS_RESULTS, true)).toBe('ok');
  });

  it('the user may not write orders', async () => {
    expect(await refusal(() => produce(user, TOPIC_ORDERS))).toEqual({
      client: 'TOPIC_AUTHORIZATION_FAILED',
      denied: ['WRITE Topic:orders'],
    });
  });

  it('the user may not read analytics-results, even in its own group', async () => {
    expect(await refusal(() => consume(user, GROUP, TOPIC_ANALYTICS_RESULTS))).toEqual({
      client: 'TOPIC_AUTHORIZATION_FAILED',
      denied: ['READ Topic:analytics-results'],
    });
  });

  it('the user may neither read nor write a topic it has no grant on', async () => {
    const refused = { client: 'TOPIC_AUTHORIZATION_FAILED', denied: [`DESCRIBE Topic:${NOT_GRANTED_TOPIC}`] };
    expect(await refusal(() => consume(user, GROUP, NOT_GRANTED_TOPIC))).toEqual(refused);
    expect(await refusal(() => produce(user, NOT_GRANTED_TOPIC))).toEqual(refused);
  });

  it('the user may not read orders in another consumer group', async () => {
    // The broker answers FindCoordinator with GROUP_AUTHORIZATION_FAILED; kafkajs reports no coordinator found.
    expect(await refusal(() => consume(user, NOT_GRANTED_GROUP, TOPIC_ORDERS))).toEqual({
      client: 'KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator',
      denied: [`DESCRIBE Group:${NOT_GRANTED_GROUP}`],
    });
  });

  it('Create again changes nothing: one describe, no create, no delete', async () => {
    calls.length = 0;
    await onEvent(event('Create'));
    expect(calls).toEqual(['connect', 'describeAcls', 'disconnect']);
    await untilAcls(admin, summary(GRANTS));
  });

  it('Update without the write grant revokes it, and only it', async () => {
    const kept = GRANTS.filter((g) => g.operation !== 'WRITE');
    expect(kept).toHaveLength(GRANTS.length - 1);
    await onEvent(event('Update', kept));
    await untilAcls(admin, summary(kept));
    // WRITE implied DESCRIBE: without it the user no longer sees the topic at all.
    expect(await refusal(() => produce(user, TOPIC_ANALYTICS_RESULTS))).toEqual({
      client: 'TOPIC_AUTHORIZATION_FAILED',
      denied: ['DESCRIBE Topic:analytics-results'],
    });
    await seed(TOPIC_ORDERS);
    expect(await consume(user, GROUP, TOPIC_ORDERS)).toBe('ok');
  });

  it('Delete leaves the user no ACL and no access', async () => {
    await onEvent(event('Delete'));
    await untilAcls(admin, []);
    expect((await refusal(() => consume(user, GROUP, TOPIC_ORDERS))).denied).toContain('DESCRIBE Topic:orders');
  });
});
