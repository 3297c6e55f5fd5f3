import {
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kms as kms,
  Stack,
  aws_s3 as s3,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { dataParameterName, type EnvironmentSpec } from '../../../lib/platform';
import { type IKafkaCluster, KafkaCluster } from './kafka-cluster';
import { pascal } from './names';

/** The key of each value the Data stack hands over; its parameter is named `dataParameterName(env, key)`. */
const KEYS = {
  key: 'key-arn',
  accessLogsBucket: 'access-logs-bucket-name',
  kafkaCluster: 'kafka/cluster-arn',
  kafkaSecurityGroup: 'kafka/security-group-id',
  kafkaTopic: (topic: string) => `kafka/topics/${topic}/arn`,
  databaseSecurityGroup: 'database/security-group-id',
  externalSecretsRole: 'external-secrets/role-arn',
  serviceRole: (service: string) => `services/${service}/role-arn`,
  serviceTable: (service: string) => `services/${service}/table-arn`,
} as const;

export interface DataParametersProps {
  readonly environment: EnvironmentSpec;
  /** Encrypts the tables (and everything else the Data stack keeps). */
  readonly key: kms.IKey;
  /** Receives the server access logs of every bucket of the environment. */
  readonly accessLogsBucket: s3.IBucket;
  readonly kafka: KafkaCluster;
  readonly databaseSecurityGroup: ec2.ISecurityGroup;
  readonly externalSecretsRole: iam.IRole;
  /** Pod Identity roles by service. */
  readonly serviceRoles: ReadonlyMap<string, iam.IRole>;
  /** DynamoDB tables by owning service. */
  readonly tables: ReadonlyMap<string, dynamodb.ITableV2>;
}

/**
 * One SSM parameter per value of the Data stack that the other stacks of the environment use, written by the Data
 * stack. Unlike a CloudFormation export, a parameter may change or go while other stacks read it, so the Data stack
 * stays free to replace what it owns; `DataReferences` reads them.
 */
export class DataParameters extends Construct {
  readonly environment: EnvironmentSpec;
  /** The parameter name of each key written. */
  private readonly names = new Map<string, string>();

  constructor(scope: Construct, id: string, props: DataParametersProps) {
    super(scope, id);
    this.environment = props.environment;
    const values: [string, string][] = [
      [KEYS.key, props.key.keyArn],
      [KEYS.accessLogsBucket, props.accessLogsBucket.bucketName],
      [KEYS.kafkaCluster, props.kafka.clusterArn],
      [KEYS.kafkaSecurityGroup, props.kafka.securityGroup.securityGroupId],
      ...[...props.kafka.topicArns].map(([topic, arn]): [string, string] => [KEYS.kafkaTopic(topic), arn]),
      [KEYS.databaseSecurityGroup, props.databaseSecurityGroup.securityGroupId],
      [KEYS.externalSecretsRole, props.externalSecretsRole.roleArn],
      ...[...props.serviceRoles].map(([service, role]): [string, string] => [KEYS.serviceRole(service), role.roleArn]),
      ...[...props.tables].map(([service, table]): [string, string] => [KEYS.serviceTable(service), table.tableArn]),
    ];
    for (const [key, value] of values) {
      const parameterName = dataParameterName(props.environment, key);
      new ssm.StringParameter(this, pascal(key.replace(/\//g, '-')), {
        parameterName,
        description: `${key} of the ${props.environment.name} Data stack, read by its other stacks at deploy time`,
        stringValue: value,
      });
      this.names.set(key, parameterName);
    }
  }

  /** The name of the parameter holding `key`; fails at synthesis for a value the Data stack does not hand over. */
  nameOf(key: string): string {
    const name = this.names.get(key);
    if (!name) {
      throw new Error(`the Data stack writes no parameter '${key}'; it writes ${[...this.names.keys()].join(', ')}`);
    }
    return name;
  }
}

export interface DataReferencesProps {
  /** The parameters of the environment's Data stack. */
  readonly parameters: DataParameters;
}

/**
 * The Data stack's resources as another stack of the environment sees them: each identifier read from its SSM parameter
 * when that stack deploys and wrapped by aws-cdk-lib's importers, so no template imports an export of the Data stack.
 * Only what is used is read. The importing stack deploys after the Data stack.
 *
 * Grants on these objects change the grantee's policies only: a resource policy of the Data stack (bucket, key) is
 * the Data stack's to write.
 */
export class DataReferences extends Construct {
  private readonly parameters: DataParameters;
  private readonly imported = new Map<string, unknown>();

  constructor(scope: Construct, id: string, props: DataReferencesProps) {
    super(scope, id);
    this.parameters = props.parameters;
    Stack.of(this).addStackDependency(
      Stack.of(props.parameters),
      'reads the parameters the Data stack writes at deploy time',
    );
  }

  /** The Data stack's key, which encrypts its tables. */
  get key(): kms.IKey {
    return this.once('Key', (id) => kms.Key.fromKeyArn(this, id, this.value(KEYS.key)));
  }

  /** The bucket of the environment's server access logs. */
  get accessLogsBucket(): s3.IBucket {
    return this.once('AccessLogsBucket', (id) => s3.Bucket.fromBucketName(this, id, this.value(KEYS.accessLogsBucket)));
  }

  /** The MSK cluster and its topics. */
  get kafka(): IKafkaCluster {
    return this.once('Kafka', () =>
      KafkaCluster.fromAttributes({
        clusterArn: this.value(KEYS.kafkaCluster),
        securityGroup: this.kafkaSecurityGroup,
        topicArn: (topic) => this.value(KEYS.kafkaTopic(topic)),
      }),
    );
  }

  /** The MSK brokers' security group. */
  get kafkaSecurityGroup(): ec2.ISecurityGroup {
    return this.once('KafkaSecurityGroup', (id) =>
      ec2.SecurityGroup.fromSecurityGroupId(this, id, this.value(KEYS.kafkaSecurityGroup), { allowAllOutbound: false }),
    );
  }

  /** The PostgreSQL instance's security group. */
  get databaseSecurityGroup(): ec2.ISecurityGroup {
    return this.once('DatabaseSecurityGroup', (id) =>
      ec2.SecurityGroup.fromSecurityGroupId(this, id, this.value(KEYS.databaseSecurityGroup), {
        allowAllOutbound: false,
      }),
    );
  }

  /** The Pod Identity role of External Secrets Operator. */
  get externalSecretsRole(): iam.IRole {
    return this.once('ExternalSecretsRole', (id) =>
      iam.Role.fromRoleArn(this, id, this.value(KEYS.externalSecretsRole)),
    );
  }

  /** The Pod Identity role of a service. */
  serviceRole(service: string): iam.IRole {
    return this.once(`${pascal(service)}Role`, (id) =>
      iam.Role.fromRoleArn(this, id, this.value(KEYS.serviceRole(service))),
    );
  }

  /** The DynamoDB table a service owns, with the key that encrypts it. */
  table(service: string): dynamodb.ITableV2 {
    return this.once(`${pascal(service)}Table`, (id) =>
      dynamodb.TableV2.fromTableAttributes(this, id, {
        tableArn: this.value(KEYS.serviceTable(service)),
        encryptionKey: this.key,
      }),
    );
  }

  private value(key: string): string {
    return ssm.StringParameter.valueForStringParameter(this, this.parameters.nameOf(key));
  }

  private once<T>(id: string, make: (id: string) => T): T {
    if (!this.imported.has(id)) this.imported.set(id, make(id));
    return this.imported.get(id) as T;
  }
}
