import {
  CfnOutput,
  Duration,
  aws_dynamodb as dynamodb,
  type aws_ec2 as ec2,
  aws_ecr as ecr,
  aws_iam as iam,
  type aws_kms as kms,
  RemovalPolicy,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  AWS_LINK_OUTPUTS,
  CROSS_CLOUD_LINK,
  type EnvironmentSpec,
  imageRepositoryName,
  KUBERNETES_NAMESPACE,
  kafkaBrokersParameterName,
  needsCloudIdentity,
  type PlatformQuery,
  POSTGRES_PORT,
  parseCidr,
  RESULTS_DATABASE,
  resourceName,
  resultsReaderSecretName,
  shop,
} from '../../lib/platform';
import { DataParameters } from './constructs/data-parameters';
import { KafkaAcls } from './constructs/kafka-acls';
import { KafkaCluster } from './constructs/kafka-cluster';
import { pascal } from './constructs/names';
import { privateBucket } from './constructs/private-bucket';
import { ServiceDatabases } from './constructs/service-databases';
import { grantServiceSecrets, podIdentityRole, ServiceIdentities } from './constructs/service-identities';
import { kafkaGrantsOf } from './handlers/kafka-acls/acls';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

/**
 * Where buckets of other stacks deliver their server access logs in the access-logs bucket. The Data stack grants the
 * delivery: a bucket policy is written by the stack that owns the bucket, never through an imported bucket.
 */
export const ACCESS_LOG_PREFIXES = { notificationDeadLetters: 'notification-dead-letters/' } as const;

export interface DataStackProps extends PlatformStackProps {
  readonly vpc: ec2.IVpc;
  /** @default the platform catalog */
  readonly catalog?: PlatformQuery;
  /**
   * The private address of the results database on Cloud SQL, once the analytics link is configured.
   * @default - none: no login of the API gateway to the results database
   */
  readonly resultsDatabaseAddress?: string;
}

/** Everything stateful of one environment: databases, Kafka, tables, buckets, registries, secrets. */
export class DataStack extends PlatformStack {
  readonly databases: ServiceDatabases;
  readonly kafka: KafkaCluster;
  /** What the SCRAM user (the Flink job on Dataproc) may do on Kafka: the analytics service's topics and group. */
  readonly kafkaAcls: KafkaAcls;
  readonly tables: ReadonlyMap<string, dynamodb.TableV2>;
  readonly accessLogsBucket: s3.Bucket;
  readonly mediaBucket: s3.Bucket;
  readonly repositories: ReadonlyMap<string, ecr.Repository>;
  readonly platformSecrets: ReadonlyMap<string, secretsmanager.Secret>;
  /** Encrypts everything this stack keeps at rest. */
  readonly key: kms.Key;
  /** Per-service Pod Identity roles, derived from the catalog. */
  readonly identities: ServiceIdentities;
  /** The Pod Identity role of External Secrets Operator: reads the services' secrets, nothing else. */
  readonly externalSecretsRole: iam.Role;
  /**
   * The API gateway's login to the results database on Cloud SQL (`RESULTS_DATABASE`), generated here: External
   * Secrets makes it the gateway's `ANALYTICS_DATABASE_URL`, the GCP stack sets it as the login's password.
   */
  readonly resultsReaderSecret?: secretsmanager.Secret;
  /** What the other stacks of the environment read of this one, as SSM parameters (no CloudFormation export). */
  readonly parameters: DataParameters;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const env = this.platformEnv;
    const catalog = props.catalog ?? shop;
    this.key = this.newKey(
      'DataKey',
      'data',
      `Encrypts ${env.name} databases, Kafka, tables, buckets, images, secrets`,
    );
    const key = this.key;

    this.databases = new ServiceDatabases(this, 'Databases', {
      environment: env,
      vpc: props.vpc,
      key: key,
      owners: catalog.postgresOwners.map((o) => ({ service: o.service.name, database: o.database })),
      removalPolicy: env.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT,
    });

    this.kafka = new KafkaCluster(this, 'Kafka', {
      environment: env,
      vpc: props.vpc,
      key: key,
      topics: catalog.catalog.topics,
      removalPolicy: this.statefulRemovalPolicy,
      scram: { username: CROSS_CLOUD_LINK.scramUser, clientCidr: env.gcp.network.subnetCidr },
    });

    this.kafkaAcls = new KafkaAcls(this, 'KafkaAcls', {
      environment: env,
      vpc: props.vpc,
      key,
      kafka: this.kafka,
      username: CROSS_CLOUD_LINK.scramUser,
      grants: kafkaGrantsOf(catalog, 'analytics'),
    });

    const tables = new Map<string, dynamodb.TableV2>();
    for (const { service, table } of catalog.dynamoTables()) {
      tables.set(
        service.name,
        new dynamodb.TableV2(this, `${pascal(table.table)}Table`, {
          tableName: resourceName(env, table.table),
          partitionKey: { name: table.partitionKey, type: dynamodb.AttributeType.STRING },
          billing: dynamodb.Billing.onDemand(),
          encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          timeToLiveAttribute: table.ttlAttribute,
          deletionProtection: env.deletionProtection,
          removalPolicy: this.statefulRemovalPolicy,
        }),
      );
    }
    this.tables = tables;

    // Server access logs cannot be delivered to a KMS-encrypted bucket, so this one uses S3-managed keys.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(Math.max(90, env.logRetentionDays)) }],
      removalPolicy: this.statefulRemovalPolicy,
      autoDeleteObjects: false,
    });
    for (const prefix of Object.values(ACCESS_LOG_PREFIXES)) {
      this.accessLogsBucket.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
          actions: ['s3:PutObject'],
          resources: [this.accessLogsBucket.arnForObjects(`${prefix}*`)],
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      );
    }
    this.mediaBucket = privateBucket(this, 'MediaBucket', {
      encryptionKey: key,
      accessLogs: { bucket: this.accessLogsBucket, prefix: 'media/' },
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: this.statefulRemovalPolicy,
    });

    const repositories = new Map<string, ecr.Repository>();
    for (const service of catalog.containers) {
      repositories.set(
        service.name,
        new ecr.Repository(this, `${pascal(service.name)}Repository`, {
          repositoryName: imageRepositoryName(service.name),
          imageScanOnPush: true,
          imageTagMutability: ecr.TagMutability.IMMUTABLE,
          encryption: ecr.RepositoryEncryption.KMS,
          encryptionKey: key,
          lifecycleRules: [{ description: 'keep the last 100 images', maxImageCount: 100 }],
          removalPolicy: this.statefulRemovalPolicy,
          emptyOnDelete: false,
        }),
      );
    }
    this.repositories = repositories;

    const platformSecrets = new Map<string, secretsmanager.Secret>();
    for (const { name } of catalog.secrets) {
      platformSecrets.set(
        name,
        new secretsmanager.Secret(this, `${pascal(name)}Secret`, {
          secretName: `${resourceName(env, name)}`,
          description: `Platform secret ${name}, generated; read by its services through their identities`,
          encryptionKey: key,
          generateSecretString: { passwordLength: 64, excludePunctuation: true },
          removalPolicy: this.statefulRemovalPolicy,
        }),
      );
    }
    this.platformSecrets = platformSecrets;

    const resources = {
      kafka: this.kafka,
      databaseSecrets: this.databases.secrets,
      platformSecrets: this.platformSecrets,
      consumerGroup: (service: string, topic: string) => catalog.consumerGroup(service, topic),
    };
    this.identities = new ServiceIdentities(this, 'ServiceIdentities', {
      namespace: KUBERNETES_NAMESPACE,
      // A service that reads no secret and uses no topic gets no role: its ServiceAccount carries no identity.
      services: catalog.containers.filter(needsCloudIdentity),
      resources,
    });
    this.externalSecretsRole = podIdentityRole(
      this,
      'ExternalSecretsRole',
      'Pod Identity of External Secrets Operator: reads the platform services secrets',
    );
    for (const service of catalog.containers) grantServiceSecrets(service, resources, this.externalSecretsRole);
    if (props.resultsDatabaseAddress !== undefined) {
      this.resultsReaderSecret = resultsReaderSecret(this, env, key, props.resultsDatabaseAddress);
      this.resultsReaderSecret.applyRemovalPolicy(this.statefulRemovalPolicy);
      this.resultsReaderSecret.grantRead(this.externalSecretsRole);
      new CfnOutput(this, AWS_LINK_OUTPUTS.resultsReaderSecretName, {
        description: 'Its password goes into TF_VAR_results_db_reader_password of the GCP stack',
        value: this.resultsReaderSecret.secretName,
      });
    }

    this.parameters = new DataParameters(this, 'Parameters', {
      environment: env,
      key,
      accessLogsBucket: this.accessLogsBucket,
      kafka: this.kafka,
      databaseSecurityGroup: this.databases.securityGroup,
      externalSecretsRole: this.externalSecretsRole,
      serviceRoles: this.identities.roles,
      tables: this.tables,
    });

    new CfnOutput(this, 'DatabaseEndpoint', { value: this.databases.instance.dbInstanceEndpointAddress });
    for (const [service, secret] of this.databases.secrets) {
      new CfnOutput(this, `${pascal(service)}DatabaseSecretArn`, { value: secret.secretArn });
    }
    new CfnOutput(this, 'KafkaClusterArn', { value: this.kafka.clusterArn });
    new CfnOutput(this, 'KafkaBootstrapBrokersSaslIam', { value: this.kafka.bootstrapBrokersSaslIam });
    // Read by the GCP stack (infra/gcp), from the file `cdk deploy --outputs-file` writes.
    new CfnOutput(this, AWS_LINK_OUTPUTS.scramBrokers, { value: this.kafka.bootstrapBrokersSaslScram ?? '' });
    new CfnOutput(this, AWS_LINK_OUTPUTS.scramSecretName, {
      description: 'Copy its value into the GCP stack MskCredentialsSecret',
      value: this.kafka.scramSecret?.secretName ?? '',
    });
    // Read by the Cluster stack at deploy time (its root Application passes them to the manifests).
    new ssm.StringParameter(this, 'KafkaBootstrapBrokersParameter', {
      parameterName: kafkaBrokersParameterName(env),
      description: `MSK bootstrap brokers of ${env.name} (IAM listener)`,
      stringValue: this.kafka.bootstrapBrokersSaslIam,
    });
    for (const [service, repo] of this.repositories) {
      new CfnOutput(this, `${pascal(service)}RepositoryUri`, { value: repo.repositoryUri });
    }
    new CfnOutput(this, 'MediaBucketName', { value: this.mediaBucket.bucketName });
  }
}

/**
 * The API gateway's login to the Cloud SQL results database: user, address, port and database in the secret's
 * template, the password generated (letters and digits: a URL and the SQL that sets it need no escaping). Refuses an
 * address outside the environment's Private Service Access range, the only GCP range its pods have a route to.
 */
function resultsReaderSecret(
  scope: Construct,
  env: EnvironmentSpec,
  key: kms.IKey,
  address: string,
): secretsmanager.Secret {
  const range = parseCidr(env.gcp.network.privateServiceCidr);
  const host = parseCidr(`${address}/32`);
  if (!range || !host || host.first < range.first || host.first > range.last) {
    throw new Error(
      `'environments[${env.name}].resultsDatabaseAddress' must be in gcp.network.privateServiceCidr (${env.gcp.network.privateServiceCidr}), got '${address}'`,
    );
  }
  return new secretsmanager.Secret(scope, 'ResultsReaderSecret', {
    secretName: resultsReaderSecretName(env),
    description: `Login of ${RESULTS_DATABASE.reader} to the ${env.name} results database on Cloud SQL (${RESULTS_DATABASE.readerRole} only)`,
    encryptionKey: key,
    generateSecretString: {
      secretStringTemplate: JSON.stringify({
        username: RESULTS_DATABASE.readerLogin,
        host: address,
        port: POSTGRES_PORT,
        dbname: RESULTS_DATABASE.database,
      }),
      generateStringKey: 'password',
      passwordLength: 48,
      excludePunctuation: true,
      includeSpace: false,
    },
  });
}
