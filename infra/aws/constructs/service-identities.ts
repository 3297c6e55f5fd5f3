import { aws_eks_v2 as eks, aws_iam as iam, type aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ServiceSpec } from '../../../lib/platform';
import type { IKafkaCluster } from './kafka-cluster';
import { pascal } from './names';

/** What a service's identity may reach, resolved from the catalog to concrete resources. */
export interface ServiceResources {
  readonly kafka: IKafkaCluster;
  /** Database credentials by owning service. */
  readonly databaseSecrets: ReadonlyMap<string, secretsmanager.ISecret>;
  /** Platform secrets by name. */
  readonly platformSecrets: ReadonlyMap<string, secretsmanager.ISecret>;
  /** Consumer group of a service on a topic. */
  readonly consumerGroup: (service: string, topic: string) => string;
}

/**
 * The IAM statements a service needs, derived from what the catalog says it does: its own database
 * credentials and platform secrets, `Connect` plus write on each topic it produces, read plus its own
 * consumer group on each topic it consumes. Nothing else, and no wildcard resource.
 */
export function kafkaStatements(
  service: ServiceSpec,
  resources: Pick<ServiceResources, 'kafka' | 'consumerGroup'>,
): iam.PolicyStatement[] {
  const kafka = resources.kafka;
  const statements: iam.PolicyStatement[] = [];
  if (service.produces.length + service.consumes.length === 0) return statements;
  const clusterActions = ['kafka-cluster:Connect'];
  // An idempotent producer (enable.idempotence, the kafkajs default we rely on) needs this cluster action.
  if (service.produces.length > 0) clusterActions.push('kafka-cluster:WriteDataIdempotently');
  statements.push(new iam.PolicyStatement({ actions: clusterActions, resources: [kafka.clusterArn] }));
  if (service.produces.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        resources: service.produces.map((t) => kafka.topicArn(t)),
      }),
    );
  }
  if (service.consumes.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: service.consumes.map((t) => kafka.topicArn(t)),
      }),
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: service.consumes.map((t) => kafka.groupArn(resources.consumerGroup(service.name, t))),
      }),
    );
  }
  return statements;
}

/** Grants a principal read access to the secrets the catalog says a service reads. */
export function grantServiceSecrets(service: ServiceSpec, resources: ServiceResources, grantee: iam.IGrantable): void {
  resources.databaseSecrets.get(service.name)?.grantRead(grantee);
  for (const name of service.secrets ?? []) {
    const secret = resources.platformSecrets.get(name);
    if (!secret) throw new Error(`service '${service.name}' reads unknown platform secret '${name}'`);
    secret.grantRead(grantee);
  }
}

export interface ServiceIdentitiesProps {
  readonly namespace: string;
  readonly services: readonly ServiceSpec[];
  readonly resources: ServiceResources;
}

/**
 * One IAM role per container service, assumable by EKS Pod Identity and holding exactly what the catalog
 * derives for it. The roles live beside the data they reach; the cluster binds them to ServiceAccounts.
 */
export class ServiceIdentities extends Construct {
  readonly roles: ReadonlyMap<string, iam.Role>;

  constructor(scope: Construct, id: string, props: ServiceIdentitiesProps) {
    super(scope, id);
    const roles = new Map<string, iam.Role>();
    for (const service of props.services) {
      const role = podIdentityRole(
        this,
        `${pascal(service.name)}Role`,
        `Pod Identity of ${service.name} in ${props.namespace}`,
      );
      for (const statement of kafkaStatements(service, props.resources)) role.addToPolicy(statement);
      grantServiceSecrets(service, props.resources, role);
      roles.set(service.name, role);
    }
    this.roles = roles;
  }
}

/** A role that EKS Pod Identity may assume (with session tags, as the agent requires). */
export function podIdentityRole(scope: Construct, id: string, description: string): iam.Role {
  return new iam.Role(scope, id, {
    description,
    assumedBy: new iam.SessionTagsPrincipal(new iam.ServicePrincipal('pods.eks.amazonaws.com')),
  });
}

/** Binds a role to a Kubernetes ServiceAccount of the cluster (which need not exist yet). */
export function bindPodIdentity(
  scope: Construct,
  id: string,
  cluster: eks.ICluster,
  serviceAccount: { namespace: string; name: string },
  role: iam.IRole,
): eks.CfnPodIdentityAssociation {
  return new eks.CfnPodIdentityAssociation(scope, id, {
    clusterName: cluster.clusterName,
    namespace: serviceAccount.namespace,
    serviceAccount: serviceAccount.name,
    roleArn: role.roleArn,
  });
}
