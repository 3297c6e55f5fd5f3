import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { Construct } from 'constructs';
import {
  FLINK_JOB_DIR,
  flinkDuration,
  intervalSeconds,
  JOB_SQL,
  renderJobSql,
} from '../../../analytics/flink-job/template';
import { formatIssue, type StreamWindowSpec, validateStreamWindow } from '../../../lib/platform';

/** The results database's migrations, in Flyway's order, as paths under the job's folder. */
export const MIGRATION_FILES = readdirSync(path.join(FLINK_JOB_DIR, 'migrations'))
  .filter((name) => name.endsWith('.sql'))
  .sort()
  .map((name) => `migrations/${name}`);

/**
 * What the job is made of: the SQL rendered with the catalog's windows, the scripts and jar lists uploaded as they
 * are, and the results database's migrations; `start-job.sh` is the cluster's initialization action.
 */
export const JOB_FILES = [
  JOB_SQL,
  'render.sh',
  'start-job.sh',
  'submit-job.sh',
  'migrate.sh',
  'ScramVerifier.java',
  'connector-jars.txt',
  'migrate-jars.txt',
  'cloud-sql-jars.txt',
  ...MIGRATION_FILES,
];

export interface AnalyticsJobProps {
  readonly bucket: StorageBucket;
  /** Where the job keeps its checkpoints (the cluster's staging bucket). */
  readonly checkpointBucket: StorageBucket;
  readonly kafka: {
    /** `host:port,...` of MSK's SASL/SCRAM listener. */
    readonly bootstrapBrokers: string;
    /** Secret Manager secret (id `projects/<p>/secrets/<name>`) with `{"username", "password"}`. */
    readonly credentialsSecretId: string;
    readonly ordersTopic: string;
    readonly resultsTopic: string;
    readonly consumerGroup: string;
  };
  /** The results database (Cloud SQL PostgreSQL) the job writes every closed window to. */
  readonly results: {
    /** `project:region:instance`, what the Cloud SQL connector connects to. */
    readonly instanceConnectionName: string;
    readonly database: string;
    /** The job's IAM database user (its service account). */
    readonly writerUser: string;
    /** The built-in user that applies the migrations, and the Secret Manager secret holding its password. */
    readonly ownerUser: string;
    readonly ownerSecretId: string;
    /** The API gateway's login the migrations make, and the Secret Manager secret of its password (AWS's). */
    readonly readerUser: string;
    readonly readerSecretId: string;
    /** The password's version once it is given, else `none` (ResultsDatabase.readerPasswordVersion). */
    readonly readerPasswordVersion: string;
  };
  readonly parallelism: number;
  /** The job's windows: the catalog's (`PlatformQuery.streamWindow`), the same as the TypeScript twin's. */
  readonly window: StreamWindowSpec;
}

/**
 * The Flink SQL job deployed as code: its files (the SQL with the catalog's windows filled in) are uploaded to the
 * artifacts bucket under a folder named by their content hash, and the cluster's initialization action
 * (`start-job.sh`) installs a systemd unit on the master that renders the rest of the SQL with the values in
 * `metadata` and submits it to the Flink YARN session. A change to any file is a new folder, so a new cluster
 * (Dataproc's initialization actions and metadata are immutable); the job's checkpoints are kept per version, and a
 * restarted cluster of the same version resumes from the latest.
 */
export class AnalyticsJob extends Construct {
  /** `gs://…/start-job.sh`, the cluster's initialization action. */
  readonly initializationScriptUri: string;
  /** Instance metadata the initialization action and `submit-job.sh` read. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Hash of the job's files: its version. */
  readonly version: string;
  readonly objects: readonly StorageBucketObject[];

  constructor(scope: Construct, id: string, props: AnalyticsJobProps) {
    super(scope, id);
    const windowIssues = validateStreamWindow(props.window);
    if (windowIssues.length > 0) throw new Error(windowIssues.map(formatIssue).join('; '));
    if (!Number.isInteger(props.parallelism) || props.parallelism < 1) {
      throw new Error(`'parallelism' must be an integer >= 1, got ${props.parallelism}`);
    }

    const contents = JOB_FILES.map((name) => ({
      name,
      content: name === JOB_SQL ? renderJobSql(props.window) : readFileSync(path.join(FLINK_JOB_DIR, name), 'utf8'),
    }));
    const hash = createHash('sha256');
    for (const file of contents) hash.update(`${file.name}\n${file.content}\n`);
    this.version = hash.digest('hex').slice(0, 12);
    const prefix = `analytics/flink-job/${this.version}`;

    this.objects = contents.map(
      (file) =>
        new StorageBucketObject(this, file.name.replace(/[^A-Za-z0-9]/g, '_'), {
          bucket: props.bucket.name,
          name: `${prefix}/${file.name}`,
          content: file.content,
          contentType: file.name.endsWith('.sh')
            ? 'text/x-shellscript'
            : file.name.endsWith('.java')
              ? 'text/x-java-source'
              : 'text/plain',
        }),
    );
    const artifacts = `gs://${props.bucket.name}/${prefix}`;
    this.initializationScriptUri = `${artifacts}/start-job.sh`;
    this.metadata = {
      'analytics-artifacts': artifacts,
      'analytics-kafka-brokers': props.kafka.bootstrapBrokers,
      'analytics-kafka-credentials-secret': props.kafka.credentialsSecretId,
      'analytics-orders-topic': props.kafka.ordersTopic,
      'analytics-results-topic': props.kafka.resultsTopic,
      'analytics-consumer-group': props.kafka.consumerGroup,
      'analytics-parallelism': String(props.parallelism),
      'analytics-out-of-orderness-seconds': intervalSeconds(props.window.outOfOrdernessMs),
      'analytics-source-idle-timeout': flinkDuration(props.window.idleTimeoutMs),
      'analytics-checkpoints': `gs://${props.checkpointBucket.name}/analytics/checkpoints/${this.version}`,
      'analytics-results-instance': props.results.instanceConnectionName,
      'analytics-results-database': props.results.database,
      'analytics-results-writer': props.results.writerUser,
      'analytics-results-owner': props.results.ownerUser,
      'analytics-results-owner-secret': props.results.ownerSecretId,
      'analytics-results-reader': props.results.readerUser,
      'analytics-results-reader-secret': props.results.readerSecretId,
      'analytics-results-reader-password-version': props.results.readerPasswordVersion,
    };
  }
}
