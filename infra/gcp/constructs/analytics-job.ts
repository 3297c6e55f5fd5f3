import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { Construct } from 'constructs';

/** The Flink job's folder: the SQL template and the scripts that start it on Dataproc. */
export const FLINK_JOB_DIR = path.join(__dirname, '..', '..', '..', 'analytics', 'flink-job');

/** What the job is made of, uploaded as is; `start-job.sh` is the cluster's initialization action. */
export const JOB_FILES = ['orders-windows.sql', 'render.sh', 'start-job.sh', 'submit-job.sh', 'connector-jars.txt'];

/** The semantics of the windows, the same as the TypeScript twin's (services/analytics/config.ts defaults). */
export const OUT_OF_ORDERNESS_MS = 5000;
/** After this long without records a Kafka partition stops holding the watermark back. */
export const SOURCE_IDLE_TIMEOUT = '10 s';

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
  readonly parallelism: number;
  /** @default 5000, the twin's */
  readonly outOfOrdernessMs?: number;
}

/**
 * The Flink SQL job deployed as code: its files are uploaded to the artifacts bucket under a folder named by
 * their content hash, and the cluster's initialization action (`start-job.sh`) installs a systemd unit on the
 * master that renders the SQL with the values in `metadata` and submits it to the Flink YARN session. A change to
 * any file is a new folder, so a new cluster (Dataproc's initialization actions and metadata are immutable); the
 * job's checkpoints are kept per version, and a restarted cluster of the same version resumes from the latest.
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
    const outOfOrdernessMs = props.outOfOrdernessMs ?? OUT_OF_ORDERNESS_MS;
    if (!Number.isInteger(outOfOrdernessMs) || outOfOrdernessMs < 0 || outOfOrdernessMs >= 1_000_000) {
      throw new Error(
        `'outOfOrdernessMs' must be an integer in 0..999999 (Flink's INTERVAL SECOND(3)), got ${outOfOrdernessMs}`,
      );
    }
    if (!Number.isInteger(props.parallelism) || props.parallelism < 1) {
      throw new Error(`'parallelism' must be an integer >= 1, got ${props.parallelism}`);
    }

    const contents = JOB_FILES.map((name) => ({ name, content: readFileSync(path.join(FLINK_JOB_DIR, name), 'utf8') }));
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
          contentType: file.name.endsWith('.sh') ? 'text/x-shellscript' : 'text/plain',
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
      'analytics-out-of-orderness-seconds': (outOfOrdernessMs / 1000).toFixed(3),
      'analytics-source-idle-timeout': SOURCE_IDLE_TIMEOUT,
      'analytics-checkpoints': `gs://${props.checkpointBucket.name}/analytics/checkpoints/${this.version}`,
    };
  }
}
