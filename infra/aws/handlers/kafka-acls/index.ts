/**
 * `onEvent` handler of the Kafka ACL custom resource (aws-cdk-lib `custom-resources` Provider framework): gives one
 * SASL/SCRAM principal exactly the listed grants on MSK, through the Kafka admin API, authenticated with IAM (the
 * function's role may alter the cluster's ACLs and nothing else).
 *
 * ResourceProperties: { BootstrapBrokers: 'host:9098,...', Principal: 'User:<name>',
 *                       Grants: [{ resourceType: TOPIC|GROUP, resourceName, operation: READ|WRITE|DESCRIBE }] }
 *
 * Create / Update: reads the principal's ACLs, creates the missing literal ALLOW entries and deletes every other
 *   entry of the principal (a grant removed from the catalog is revoked). Idempotent.
 * Delete: deletes every ACL of the principal.
 *
 * Logging: the principal and the grants (names and operations); no credentials exist here to log.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  Kafka,
  ResourcePatternTypes,
} from 'kafkajs';
import { type Grant, OPERATIONS, parseAclProperties, RESOURCE_TYPES, reconcile } from './acls';

export interface OnEventResponse {
  PhysicalResourceId: string;
}

/** The part of the kafkajs admin client the handler uses. */
export type AclAdmin = Pick<Admin, 'connect' | 'disconnect' | 'describeAcls' | 'createAcls' | 'deleteAcls'>;

const entry = (principal: string, g: Grant) => ({
  principal,
  host: '*',
  permissionType: AclPermissionTypes.ALLOW,
  resourceType: AclResourceTypes[g.resourceType],
  resourceName: g.resourceName,
  resourcePatternType: ResourcePatternTypes.LITERAL,
  operation: AclOperationTypes[g.operation],
});

const principalFilter = (principal: string) => ({
  principal,
  resourceType: AclResourceTypes.ANY,
  resourcePatternType: ResourcePatternTypes.ANY,
  operation: AclOperationTypes.ANY,
  permissionType: AclPermissionTypes.ANY,
});

/** The principal's ACLs on the cluster; an entry the platform never grants (a DENY, a prefix) counts as foreign. */
async function existingGrants(admin: AclAdmin, principal: string): Promise<{ grants: Grant[]; foreign: number }> {
  const described = await admin.describeAcls(principalFilter(principal));
  const grants: Grant[] = [];
  let foreign = 0;
  for (const resource of described.resources) {
    for (const acl of resource.acls) {
      const resourceType = RESOURCE_TYPES.find((t) => AclResourceTypes[t] === resource.resourceType);
      const operation = OPERATIONS.find((o) => AclOperationTypes[o] === acl.operation);
      const ours =
        resourceType &&
        operation &&
        resource.resourcePatternType === ResourcePatternTypes.LITERAL &&
        acl.permissionType === AclPermissionTypes.ALLOW &&
        acl.host === '*';
      if (ours) grants.push({ resourceType, resourceName: resource.resourceName, operation });
      else foreign++;
    }
  }
  return { grants, foreign };
}

/** Builds the handler around an admin client factory (tests inject a fake). */
export function createOnEvent(
  adminFor: (brokers: readonly string[]) => AclAdmin,
  log: (message: string, fields?: Record<string, unknown>) => void = (message, fields) =>
    console.log(JSON.stringify({ message, ...fields })),
): (event: CloudFormationCustomResourceEvent) => Promise<OnEventResponse> {
  return async (event) => {
    const props = parseAclProperties(event.ResourceProperties);
    const physicalResourceId = `kafka-acls:${props.principal}`;
    const admin = adminFor(props.bootstrapBrokers);
    await admin.connect();
    try {
      if (event.RequestType === 'Delete') {
        await admin.deleteAcls({ filters: [principalFilter(props.principal)] });
        log('deleted every ACL of the principal', { principal: props.principal });
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      const { grants, foreign } = await existingGrants(admin, props.principal);
      const { create, remove } = reconcile(props.grants, grants);
      if (foreign > 0) {
        // Entries of another shape (DENY, prefixed, one host): start over, so the principal has exactly the grants.
        await admin.deleteAcls({ filters: [principalFilter(props.principal)] });
        await admin.createAcls({ acl: props.grants.map((g) => entry(props.principal, g)) });
      } else {
        if (create.length > 0) await admin.createAcls({ acl: create.map((g) => entry(props.principal, g)) });
        if (remove.length > 0) await admin.deleteAcls({ filters: remove.map((g) => entry(props.principal, g)) });
      }
      log(`${event.RequestType}: ACLs of the principal reconciled`, {
        principal: props.principal,
        created: create,
        removed: remove,
        foreignRemoved: foreign,
      });
      return { PhysicalResourceId: physicalResourceId };
    } finally {
      await admin.disconnect();
    }
  };
}

/** MSK with IAM authentication over TLS, in the function's region. */
function mskAdmin(brokers: readonly string[]): AclAdmin {
  const region = process.env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set (Lambda sets it)');
  return new Kafka({
    clientId: 'shopfront-kafka-acls',
    brokers: [...brokers],
    ssl: true,
    sasl: {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
        const { token } = await generateAuthToken({ region });
        return { value: token };
      },
    },
  }).admin();
}

export const onEvent = createOnEvent(mskAdmin);
