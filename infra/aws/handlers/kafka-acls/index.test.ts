import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { shop, TOPIC_ANALYTICS_RESULTS, TOPIC_ORDERS } from '../../../../lib/platform';
import { kafkaAclProperties, kafkaGrantsOf, parseAclProperties, reconcile } from './acls';
import { type AclAdmin, createOnEvent } from './index';

const PROPERTIES = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
  BootstrapBrokers: 'b-1.kafka.example:9098,b-2.kafka.example:9098',
  Principal: 'User:analytics',
  Grants: [
    { resourceType: 'TOPIC', resourceName: 'orders', operation: 'READ' },
    { resourceType: 'GROUP', resourceName: 'analytics.orders', operation: 'READ' },
    { resourceType: 'TOPIC', resourceName: 'analytics-results', operation: 'WRITE' },
  ],
};

const event = (RequestType: 'Create' | 'Update' | 'Delete', props: Record<string, unknown> = PROPERTIES) =>
  ({
    RequestType,
    ResourceProperties: props,
    PhysicalResourceId: 'kafka-acls:User:analytics',
  }) as unknown as CloudFormationCustomResourceEvent;

type Entry = {
  principal: string;
  host: string;
  permissionType: number;
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  operation: number;
};

/** An in-memory cluster's ACL table behind the admin calls the handler makes. */
function fakeCluster(initial: Entry[] = []) {
  let acls = [...initial];
  const calls: string[] = [];
  const matches = (f: Partial<Entry>, a: Entry) =>
    (f.principal === undefined || f.principal === a.principal) &&
    (f.resourceType === AclResourceTypes.ANY || f.resourceType === a.resourceType) &&
    (f.resourceName === undefined || f.resourceName === a.resourceName) &&
    (f.operation === AclOperationTypes.ANY || f.operation === a.operation) &&
    (f.permissionType === AclPermissionTypes.ANY || f.permissionType === a.permissionType) &&
    (f.resourcePatternType === ResourcePatternTypes.ANY || f.resourcePatternType === a.resourcePatternType);
  const admin = {
    connect: async () => void calls.push('connect'),
    disconnect: async () => void calls.push('disconnect'),
    describeAcls: async (filter: Partial<Entry>) => {
      calls.push('describe');
      const found = acls.filter((a) => matches(filter, a));
      return {
        throttleTime: 0,
        errorCode: 0,
        resources: found.map(({ resourceType, resourceName, resourcePatternType, ...acl }) => ({
          resourceType,
          resourceName,
          resourcePatternType,
          acls: [acl],
        })),
      };
    },
    createAcls: async ({ acl }: { acl: Entry[] }) => {
      calls.push(`create ${acl.length}`);
      acls.push(...acl);
      return true;
    },
    deleteAcls: async ({ filters }: { filters: Partial<Entry>[] }) => {
      calls.push(`delete ${filters.length}`);
      acls = acls.filter((a) => !filters.some((f) => matches(f, a)));
      return { throttleTime: 0, filterResponses: [] };
    },
  } as unknown as AclAdmin;
  return { admin, calls, acls: () => acls };
}

/** kafkajs's enums are plain name -> number objects at run time: look a name up by its number. */
const nameOf = (values: object, n: number) => Object.entries(values).find(([, v]) => v === n)?.[0];

const summary = (acls: Entry[]) =>
  acls
    .map(
      (a) =>
        `${a.principal} ${nameOf(AclResourceTypes, a.resourceType)}:${a.resourceName} ${nameOf(AclOperationTypes, a.operation)}`,
    )
    .sort();

const GRANTED = [
  'User:analytics GROUP:analytics.orders READ',
  'User:analytics TOPIC:analytics-results WRITE',
  'User:analytics TOPIC:orders READ',
];

describe('the Kafka ACL custom resource', () => {
  const quiet = () => undefined;

  it('gives the principal exactly its grants, literal ALLOW for any host, and disconnects', async () => {
    const cluster = fakeCluster();
    const brokers: (readonly string[])[] = [];
    const onEvent = createOnEvent((b) => {
      brokers.push(b);
      return cluster.admin;
    }, quiet);
    await expect(onEvent(event('Create'))).resolves.toEqual({ PhysicalResourceId: 'kafka-acls:User:analytics' });
    expect(summary(cluster.acls())).toEqual(GRANTED);
    for (const acl of cluster.acls()) {
      expect(acl).toMatchObject({
        host: '*',
        permissionType: AclPermissionTypes.ALLOW,
        resourcePatternType: ResourcePatternTypes.LITERAL,
      });
    }
    expect(brokers).toEqual([['b-1.kafka.example:9098', 'b-2.kafka.example:9098']]);
    expect(cluster.calls.at(-1)).toBe('disconnect');
  });

  it('changes nothing when run again', async () => {
    const cluster = fakeCluster();
    const onEvent = createOnEvent(() => cluster.admin, quiet);
    await onEvent(event('Create'));
    cluster.calls.length = 0;
    await onEvent(event('Update'));
    expect(cluster.calls).toEqual(['connect', 'describe', 'disconnect']);
    expect(summary(cluster.acls())).toEqual(GRANTED);
  });

  it("revokes a grant no longer listed and leaves other principals' ACLs alone", async () => {
    const other = {
      principal: 'User:someone-else',
      host: '*',
      permissionType: AclPermissionTypes.ALLOW,
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'orders',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.READ,
    };
    const cluster = fakeCluster([other, { ...other, principal: 'User:analytics', resourceName: 'payments' }]);
    await createOnEvent(() => cluster.admin, quiet)(event('Update'));
    expect(summary(cluster.acls())).toEqual([...GRANTED, 'User:someone-else TOPIC:orders READ']);
  });

  it('replaces entries of another shape (a prefixed pattern) so the principal has exactly its grants', async () => {
    const prefixed = {
      principal: 'User:analytics',
      host: '*',
      permissionType: AclPermissionTypes.ALLOW,
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'ord',
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      operation: AclOperationTypes.READ,
    };
    const cluster = fakeCluster([prefixed]);
    await createOnEvent(() => cluster.admin, quiet)(event('Update'));
    expect(summary(cluster.acls())).toEqual(GRANTED);
  });

  it('deletes every ACL of the principal on Delete', async () => {
    const cluster = fakeCluster();
    const onEvent = createOnEvent(() => cluster.admin, quiet);
    await onEvent(event('Create'));
    await expect(onEvent(event('Delete'))).resolves.toEqual({ PhysicalResourceId: 'kafka-acls:User:analytics' });
    expect(cluster.acls()).toEqual([]);
  });

  it('disconnects when the cluster refuses', async () => {
    const cluster = fakeCluster();
    cluster.admin.createAcls = async () => {
      throw new Error('Cluster authorization failed');
    };
    await expect(createOnEvent(() => cluster.admin, quiet)(event('Create'))).rejects.toThrow(
      'Cluster authorization failed',
    );
    expect(cluster.calls.at(-1)).toBe('disconnect');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['brokers that are not host:port', { ...PROPERTIES, BootstrapBrokers: 'b-1' }, `'BootstrapBrokers' must be`],
    ['a principal without User:', { ...PROPERTIES, Principal: 'analytics' }, `'Principal' must be User:<name>`],
    ['no grants', { ...PROPERTIES, Grants: [] }, `'Grants' must name at least one grant`],
    [
      'an operation the platform never grants',
      { ...PROPERTIES, Grants: [{ resourceType: 'TOPIC', resourceName: 'orders', operation: 'ALL' }] },
      `'Grants.0.operation'`,
    ],
    [
      'a topic name Kafka refuses',
      { ...PROPERTIES, Grants: [{ resourceType: 'TOPIC', resourceName: 'or ders', operation: 'READ' }] },
      `'Grants.0.resourceName' must be a Kafka topic or group name`,
    ],
  ])('refuses %s before connecting, naming the property', async (_name, props, message) => {
    const cluster = fakeCluster();
    await expect(createOnEvent(() => cluster.admin, quiet)(event('Create', props))).rejects.toThrow(message);
    expect(cluster.calls).toEqual([]);
    expect(() => parseAclProperties(props)).toThrow('invalid Kafka ACL properties');
  });

  it('reconciles by value', () => {
    const a = { resourceType: 'TOPIC', resourceName: 'orders', operation: 'READ' } as const;
    const b = { resourceType: 'GROUP', resourceName: 'g', operation: 'READ' } as const;
    expect(reconcile([a], [a, b])).toEqual({ create: [], remove: [b] });
    expect(reconcile([a, b], [])).toEqual({ create: [a, b], remove: [] });
  });

  it("derives a service's grants from the catalog: what it consumes, in its group, and what it produces", () => {
    expect(kafkaGrantsOf(shop, 'analytics')).toEqual([
      { resourceType: 'TOPIC', resourceName: TOPIC_ORDERS, operation: 'READ' },
      { resourceType: 'GROUP', resourceName: shop.consumerGroup('analytics', TOPIC_ORDERS), operation: 'READ' },
      { resourceType: 'TOPIC', resourceName: TOPIC_ANALYTICS_RESULTS, operation: 'WRITE' },
    ]);
    expect(() => kafkaGrantsOf(shop, 'analytix')).toThrow("unknown service 'analytix'");
  });

  it('builds the properties the handler parses back to the same brokers, principal and grants', () => {
    const grants = kafkaGrantsOf(shop, 'analytics');
    expect(
      parseAclProperties(kafkaAclProperties('b-1.kafka.example:9098,b-2.kafka.example:9098', 'analytics', grants)),
    ).toEqual({
      bootstrapBrokers: ['b-1.kafka.example:9098', 'b-2.kafka.example:9098'],
      principal: 'User:analytics',
      grants,
    });
    expect(() => parseAclProperties(kafkaAclProperties('b-1.kafka.example:9098', 'an alytics', grants))).toThrow(
      `'Principal' must be User:<name>`,
    );
  });
});
