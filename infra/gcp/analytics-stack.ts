import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { GcsBackend, Lazy, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import {
  type EnvironmentSpec,
  gcpAdvertisedRanges,
  type PlatformQuery,
  PRODUCT,
  RESULTS_DATABASE,
  TOPIC_ANALYTICS_RESULTS,
  TOPIC_ORDERS,
} from '../../lib/platform';
import { type AwsLink, stackName } from './config';
import { AnalyticsJob } from './constructs/analytics-job';
import { AwsKafkaLink } from './constructs/aws-kafka-link';
import { FlinkCluster } from './constructs/flink-cluster';
import { AnalyticsNetwork } from './constructs/network';
import {
  abortIncompleteUploads,
  expireNoncurrentVersions,
  grantObjects,
  ObjectAccess,
  privateBucket,
} from './constructs/private-bucket';
import { ResultsDatabase } from './constructs/results-database';

/** The Google APIs the stack uses; enabled by it, never disabled by a destroy (other things may use them). */
export const GOOGLE_APIS = [
  'compute',
  'dataproc',
  'iam',
  'logging',
  'monitoring',
  'secretmanager',
  'servicenetworking',
  'sqladmin',
  'storage',
];

export interface AnalyticsStackProps {
  readonly environment: EnvironmentSpec;
  readonly catalog: PlatformQuery;
  /** The deployed AWS side. @default - none yet: the first phase (docs/deploy.md), no tunnels, no brokers */
  readonly aws?: AwsLink;
  readonly stateBucket: string;
  /** Cloud KMS key for buckets, Cloud SQL and the cluster's disks. @default - Google-managed keys */
  readonly kmsKeyName?: string;
}

/**
 * The analytics side of one environment on Google Cloud: network with a VPN to the AWS VPC, GCS buckets,
 * Cloud SQL for the results, and Dataproc running the Flink SQL job that reads `orders` from MSK and writes
 * `analytics-results`. State in GCS, one prefix per stack.
 */
export class AnalyticsStack extends TerraformStack {
  readonly network: AnalyticsNetwork;
  readonly kafka: AwsKafkaLink;
  readonly buckets: {
    readonly accessLogs: ReturnType<typeof privateBucket>;
    readonly staging: ReturnType<typeof privateBucket>;
    readonly artifacts: ReturnType<typeof privateBucket>;
    readonly archive: ReturnType<typeof privateBucket>;
  };
  readonly database: ResultsDatabase;
  readonly job: AnalyticsJob;
  readonly flink: FlinkCluster;

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id);
    const { environment: env, catalog } = props;
    const { projectId, region } = env.gcp;

    new GoogleProvider(this, 'Google', {
      project: projectId,
      region,
      defaultLabels: { product: PRODUCT, environment: env.name, 'managed-by': 'cdktf' },
    });
    new GcsBackend(this, { bucket: props.stateBucket, prefix: stackName(env) });

    const apis = GOOGLE_APIS.map(
      (api) =>
        new ProjectService(this, `${api[0]?.toUpperCase()}${api.slice(1)}Api`, {
          service: `${api}.googleapis.com`,
          disableOnDestroy: false,
        }),
    );

    this.network = new AnalyticsNetwork(this, 'Network', { environment: env, dependsOn: apis });
    this.kafka = new AwsKafkaLink(this, 'AwsKafka', {
      environment: env,
      network: this.network.network,
      advertisedRanges: gcpAdvertisedRanges(env),
      aws: props.aws,
      dependsOn: apis,
    });

    const bucket = (name: string) => `${projectId}-${name}`;
    const common = {
      location: region.toUpperCase(),
      forceDestroy: !env.deletionProtection,
      kmsKeyName: props.kmsKeyName,
      labels: { component: 'analytics' },
    };
    const accessLogs = privateBucket(this, 'AccessLogsBucket', {
      ...common,
      name: bucket('gcs-access-logs'),
      lifecycleRules: [
        { action: { type: 'Delete' }, condition: { age: env.logRetentionDays } },
        expireNoncurrentVersions(1),
        abortIncompleteUploads(1),
      ],
    });
    // Cloud Storage writes access logs as this group (uniform bucket-level access: through IAM).
    new StorageBucketIamMember(this, 'AccessLogsWriter', {
      bucket: accessLogs.name,
      role: ObjectAccess.CREATE,
      member: 'group:cloud-storage-analytics@google.com',
    });
    const logged = { ...common, accessLogBucket: accessLogs };
    this.buckets = {
      accessLogs,
      // No age-based deletion of current objects: incremental checkpoints keep referring to old files.
      staging: privateBucket(this, 'StagingBucket', {
        ...logged,
        name: bucket('dataproc-staging'),
        lifecycleRules: [expireNoncurrentVersions(7), abortIncompleteUploads(1)],
      }),
      artifacts: privateBucket(this, 'ArtifactsBucket', {
        ...logged,
        name: bucket('job-artifacts'),
        lifecycleRules: [expireNoncurrentVersions(30), abortIncompleteUploads(1)],
      }),
      archive: privateBucket(this, 'ArchiveBucket', {
        ...logged,
        name: bucket('results-archive'),
        lifecycleRules: [
          { action: { type: 'SetStorageClass', storageClass: 'NEARLINE' }, condition: { age: 30 } },
          { action: { type: 'SetStorageClass', storageClass: 'COLDLINE' }, condition: { age: 90 } },
          { action: { type: 'SetStorageClass', storageClass: 'ARCHIVE' }, condition: { age: 365 } },
          expireNoncurrentVersions(30),
          abortIncompleteUploads(1),
        ],
      }),
    };

    const analytics = catalog.service('analytics');
    const [source] = analytics.consumes;
    const [sink] = analytics.produces;
    if (source !== TOPIC_ORDERS || sink !== TOPIC_ANALYTICS_RESULTS) {
      throw new Error(
        `the Flink job reads ${TOPIC_ORDERS} and writes ${TOPIC_ANALYTICS_RESULTS}; the catalog's analytics has ${source} -> ${sink}`,
      );
    }
    this.database = new ResultsDatabase(this, 'ResultsDatabase', {
      environment: env,
      network: this.network.network,
      privateServiceAccess: this.network.privateServiceAccess,
      kmsKeyName: props.kmsKeyName,
      dependsOn: apis,
    });

    // The cluster's service account is created with the cluster, which needs the job's metadata first.
    const writerUser = Lazy.stringValue({
      produce: () => ResultsDatabase.iamUserName(this.flink.serviceAccount.email),
    });
    this.job = new AnalyticsJob(this, 'AnalyticsJob', {
      bucket: this.buckets.artifacts,
      checkpointBucket: this.buckets.staging,
      kafka: {
        bootstrapBrokers: this.kafka.bootstrapBrokers,
        credentialsSecretId: this.kafka.credentialsSecret.id,
        ordersTopic: source,
        resultsTopic: sink,
        consumerGroup: catalog.consumerGroup(analytics.name, source),
      },
      results: {
        instanceConnectionName: this.database.instance.connectionName,
        database: this.database.database.name,
        writerUser,
        ownerUser: this.database.owner.name,
        ownerSecretId: this.database.ownerSecret.id,
        readerUser: RESULTS_DATABASE.readerLogin,
        readerSecretId: this.database.readerSecret.id,
        readerPasswordVersion: this.database.readerPasswordVersion,
      },
      parallelism: env.gcp.dataproc.jobParallelism,
      window: catalog.streamWindow(analytics.name),
    });

    this.flink = new FlinkCluster(this, 'Flink', {
      environment: env,
      subnet: this.network.subnet,
      stagingBucket: this.buckets.staging,
      job: this.job,
      kmsKeyName: props.kmsKeyName,
      dependsOn: apis,
    });
    const member = this.flink.member;
    for (const grant of [
      grantObjects(this, 'FlinkStagingAccess', this.buckets.staging, ObjectAccess.READ_WRITE, member),
      grantObjects(this, 'FlinkArtifactsAccess', this.buckets.artifacts, ObjectAccess.READ, member),
      grantObjects(this, 'FlinkArchiveAccess', this.buckets.archive, ObjectAccess.CREATE, member),
      this.kafka.grantReadCredentials('FlinkReadsScramCredentials', member),
      // The job's start applies the migrations as the owner, then writes as the cluster's own IAM user.
      this.database.grantOwnerLogin('FlinkAppliesMigrations', member),
      // ... and makes the API gateway's login from the password AWS generated, once it is given.
      this.database.grantReaderPassword('FlinkMakesReaderLogin', member),
      this.database.readerSecretVersion,
      ...this.database.grantConnect('Flink', this.flink.serviceAccount.email, projectId),
      this.database.owner,
      this.database.ownerSecretVersion,
      this.database.database,
    ]) {
      this.flink.addGrant(grant);
    }

    new TerraformOutput(this, 'DataprocCluster', { value: this.flink.cluster.name });
    new TerraformOutput(this, 'DataprocServiceAccount', { value: this.flink.serviceAccount.email });
    new TerraformOutput(this, 'JobVersion', { value: this.job.version });
    new TerraformOutput(this, 'ResultsDatabaseConnectionName', { value: this.database.instance.connectionName });
    new TerraformOutput(this, 'ResultsDatabaseAddress', {
      description:
        "Private address of the results database: the AWS setting resultsDatabaseAddress (the API gateway's host)",
      value: this.database.instance.privateIpAddress,
    });
    new TerraformOutput(this, 'ResultsDatabaseServerCa', {
      description:
        "The results database's server CA certificate (PEM): the AWS setting resultsDatabaseServerCa, which the API gateway verifies the server with",
      value: this.database.serverCaCert,
    });
    new TerraformOutput(this, 'MskCredentialsSecret', {
      description: 'Add the SCRAM credentials as a version: {"username": ..., "password": ...}',
      value: this.kafka.credentialsSecret.id,
    });
    for (const [name, b] of Object.entries(this.buckets)) {
      new TerraformOutput(this, `${name[0]?.toUpperCase()}${name.slice(1)}BucketName`, { value: b.name });
    }
  }
}
