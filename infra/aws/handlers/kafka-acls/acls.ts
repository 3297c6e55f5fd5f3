import { z } from 'zod';
// A type only: the function's bundle does not carry the catalog.
import type { PlatformQuery } from '../../../../lib/platform';

/**
 * The ACLs of one Kafka principal, as the custom resource's properties carry them and as the handler compares them
 * with what the cluster has. Only literal ALLOW entries for any host: what the platform grants is an exact list.
 */
export const RESOURCE_TYPES = ['TOPIC', 'GROUP'] as const;
export const OPERATIONS = ['READ', 'WRITE', 'DESCRIBE'] as const;

export type ResourceType = (typeof RESOURCE_TYPES)[number];
export type Operation = (typeof OPERATIONS)[number];

export interface Grant {
  readonly resourceType: ResourceType;
  readonly resourceName: string;
  readonly operation: Operation;
}

const KAFKA_NAME = /^[A-Za-z0-9._-]{1,249}$/;

const propertiesShape = z.object({
  BootstrapBrokers: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/, 'must be a comma-separated host:port list'),
  Principal: z.string().regex(/^User:[A-Za-z0-9._-]{1,128}$/, 'must be User:<name>'),
  Grants: z
    .array(
      z.object({
        resourceType: z.enum(RESOURCE_TYPES),
        resourceName: z.string().regex(KAFKA_NAME, 'must be a Kafka topic or group name'),
        operation: z.enum(OPERATIONS),
      }),
    )
    .min(1, 'must name at least one grant'),
});

export interface AclProperties {
  readonly bootstrapBrokers: readonly string[];
  readonly principal: string;
  readonly grants: readonly Grant[];
}

/** The custom resource's properties, or an error naming the property at fault. */
export function parseAclProperties(raw: unknown): AclProperties {
  const result = propertiesShape.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`invalid Kafka ACL properties: '${issue?.path.join('.') ?? ''}' ${issue?.message ?? 'is invalid'}`);
  }
  const { BootstrapBrokers, Principal, Grants } = result.data;
  return { bootstrapBrokers: BootstrapBrokers.split(','), principal: Principal, grants: Grants };
}

const key = (g: Grant) => `${g.resourceType}:${g.resourceName}:${g.operation}`;

/** What to create and what to delete so that the principal has exactly `desired`. */
export function reconcile(desired: readonly Grant[], existing: readonly Grant[]): { create: Grant[]; remove: Grant[] } {
  const want = new Map(desired.map((g) => [key(g), g]));
  const have = new Map(existing.map((g) => [key(g), g]));
  return {
    create: [...want.entries()].filter(([k]) => !have.has(k)).map(([, g]) => g),
    remove: [...have.entries()].filter(([k]) => !want.has(k)).map(([, g]) => g),
  };
}

/**
 * What a service may do on Kafka, from the catalog: READ on each topic it consumes and on its consumer group for that
 * topic, WRITE on each topic it produces (READ and WRITE imply DESCRIBE). An idempotent producer needs no
 * IDEMPOTENT_WRITE on the cluster: since Kafka 2.8 WRITE on a topic lets it obtain a producer id (KIP-679).
 */
export function kafkaGrantsOf(catalog: PlatformQuery, service: string): Grant[] {
  const spec = catalog.service(service);
  return [
    ...spec.consumes.flatMap((topic) => [
      { resourceType: 'TOPIC' as const, resourceName: topic, operation: 'READ' as const },
      {
        resourceType: 'GROUP' as const,
        resourceName: catalog.consumerGroup(spec.name, topic),
        operation: 'READ' as const,
      },
    ]),
    ...spec.produces.map((topic) => ({
      resourceType: 'TOPIC' as const,
      resourceName: topic,
      operation: 'WRITE' as const,
    })),
  ];
}

/** The custom resource's properties (the handler's `ResourceProperties`, parsed by `parseAclProperties`). */
export function kafkaAclProperties(bootstrapBrokers: string, username: string, grants: readonly Grant[]) {
  return { BootstrapBrokers: bootstrapBrokers, Principal: `User:${username}`, Grants: grants.map((g) => ({ ...g })) };
}
