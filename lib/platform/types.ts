/**
 * The platform catalog's vocabulary. Every synthesized output (CloudFormation, Terraform JSON,
 * Kubernetes manifests) and every service's wiring is derived from one value of `Catalog`.
 */

export type Protocol = 'http' | 'grpc';

export interface PortSpec {
  /** IANA-style port name, used for Kubernetes named ports (e.g. `grpc`, `http`, `metrics`). */
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
}

/** How a component runs. */
export enum Workload {
  /** A long-running container on EKS (and a process in the local platform). */
  CONTAINER = 'container',
  /** An AWS Lambda function fed by an event source. */
  LAMBDA = 'lambda',
  /** A streaming job: Flink on Dataproc in the cloud, a TypeScript twin locally. */
  STREAM_JOB = 'stream-job',
}

export type DataStore =
  /** A PostgreSQL database of its own on the shared RDS instance, with its own login role. */
  | { readonly kind: 'postgres'; readonly database: string }
  /** A DynamoDB table of its own. */
  | {
      readonly kind: 'dynamodb';
      readonly table: string;
      readonly partitionKey: string;
      readonly ttlAttribute?: string;
    };

export interface ScalingPolicy {
  readonly type: 'Percent' | 'Pods';
  readonly value: number;
  readonly periodSeconds: number;
}

export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly policies: readonly ScalingPolicy[];
}

export interface ScalingSpec {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** The resource whose average utilization (percent of requests) the autoscaler targets. */
  readonly metric: { readonly resource: 'cpu' | 'memory'; readonly targetUtilizationPercent: number };
  /** @default - the Kubernetes autoscaler's default behaviour */
  readonly behavior?: { readonly scaleUp: ScalingRules; readonly scaleDown: ScalingRules };
}

export interface ResourceAmounts {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
}

export interface ResourceSpec {
  readonly requests: ResourceAmounts;
  readonly limits: ResourceAmounts;
}

/**
 * The event-time windows of a stream job, one setting for both of its forms: the Flink SQL job in the cloud
 * (rendered from it at synthesis) and the TypeScript twin on one machine (its configuration defaults).
 */
export interface StreamWindowSpec {
  /**
   * Length of the tumbling windows, aligned to the epoch (so to UTC minutes). Whole minutes: the Flink SQL writes
   * it as `INTERVAL 'n' MINUTE`.
   */
  readonly windowMs: number;
  /**
   * The watermark's bound (bounded out-of-orderness): how far behind the newest event time an event may arrive and
   * still count. An event behind the watermark is late and dropped; there is no further allowed lateness.
   */
  readonly outOfOrdernessMs: number;
  /**
   * Time without events after which the stream counts as idle: the twin's watermark then follows processing time,
   * and Flink stops waiting for a Kafka partition that receives nothing (`table.exec.source.idle-timeout`).
   */
  readonly idleTimeoutMs: number;
}

export interface ServiceSpec {
  /** DNS-1123 label; also the Kubernetes Service name and the service's folder under `services/`. */
  readonly name: string;
  readonly workload: Workload;
  readonly description: string;
  readonly ports: readonly PortSpec[];
  /** Names of the components this one calls synchronously. Each becomes a NetworkPolicy edge. */
  readonly calls: readonly string[];
  readonly owns: readonly DataStore[];
  readonly produces: readonly string[];
  readonly consumes: readonly string[];
  /** Names of platform secrets (generated, kept in Secrets Manager) the service reads. @default - none */
  readonly secrets?: readonly string[];
  /** Reachable from outside the cluster through the load balancer. @default false */
  readonly public?: boolean;
  /**
   * The path prefix the load balancer routes to a public service; every public service shares one load balancer and
   * one origin, the longest prefix winning. @default '/'
   */
  readonly ingressPath?: string;
  /** Required for containers. */
  readonly scaling?: ScalingSpec;
  /** Required for containers. */
  readonly resources?: ResourceSpec;
  /** Required for stream jobs, and only for them. */
  readonly window?: StreamWindowSpec;
}

export interface TopicSpec {
  readonly name: string;
  readonly description: string;
  /** What the record key is, for per-key ordering. */
  readonly key: string;
  /** CloudEvents `type` values carried on the topic. */
  readonly eventTypes: readonly string[];
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly retentionHours: number;
}

export type EnvironmentName = 'dev' | 'staging' | 'prod';

export interface EnvironmentSpec {
  readonly name: EnvironmentName;
  readonly region: string;
  /** Named explicitly so that synthesis never has to look them up in an account. */
  readonly availabilityZones: readonly string[];
  readonly network: { readonly cidr: string; readonly natGateways: number };
  readonly database: {
    readonly instanceClass: string;
    readonly allocatedStorageGiB: number;
    readonly maxAllocatedStorageGiB: number;
    readonly multiAz: boolean;
    readonly backupRetentionDays: number;
  };
  readonly kafka: {
    readonly brokerInstanceType: string;
    /** Brokers per availability zone; MSK needs the total to be a multiple of the zone count. */
    readonly brokersPerAz: number;
    readonly volumeGiB: number;
  };
  readonly kubernetes: {
    readonly nodeInstanceTypes: readonly string[];
    readonly minNodes: number;
    readonly desiredNodes: number;
    readonly maxNodes: number;
  };
  /** The analytics side on Google Cloud (CDKTF, `infra/gcp`). */
  readonly gcp: GcpSpec;
  /**
   * Protects stateful resources from deletion and retains them when their stack is deleted, on both clouds
   * (RDS and Cloud SQL deletion protection; S3 and GCS buckets kept, never force-emptied).
   */
  readonly deletionProtection: boolean;
  readonly logRetentionDays: number;
}

/**
 * The analytics side of an environment on Google Cloud: a VPC, Dataproc running the Flink job, GCS and Cloud SQL.
 * Backup retention and high availability of Cloud SQL follow `database.backupRetentionDays` and
 * `database.multiAz`, deletion protection follows `deletionProtection`: one policy per environment, both clouds.
 */
export interface GcpSpec {
  /** The Google Cloud project; the catalog holds a placeholder until the project exists. */
  readonly projectId: string;
  /** e.g. `europe-west1` (the GCP region nearest the AWS region). */
  readonly region: string;
  /** The zone of the Dataproc cluster (Flink has no multi-zone high availability on Dataproc). */
  readonly zone: string;
  readonly network: {
    /** Primary range of the Dataproc subnet; must not overlap the AWS VPC (they are joined by VPN). */
    readonly subnetCidr: string;
    /** Range reserved for Private Service Access (Cloud SQL's private IP); /16../24. */
    readonly privateServiceCidr: string;
    /**
     * The inside /30 of each of the four VPN tunnels to the AWS VPC, in order: connection 1 tunnels 1 and 2 (HA VPN
     * interface 0), connection 2 tunnels 1 and 2 (interface 1). AWS takes the first host of each, the Cloud Router
     * the second. In 169.254.0.0/16, outside the ranges AWS reserves.
     */
    readonly vpnInsideCidrs: readonly [string, string, string, string];
  };
  readonly dataproc: {
    /** Dataproc image, which fixes the Flink version. */
    readonly imageVersion: string;
    readonly masterMachineType: string;
    readonly workerMachineType: string;
    /** Primary workers the autoscaling policy keeps at least (a standard cluster needs 2). */
    readonly minWorkers: number;
    readonly maxWorkers: number;
    readonly bootDiskGiB: number;
    /** Parallelism of the Flink job. 1 reproduces the test vectors exactly (one watermark for the stream). */
    readonly jobParallelism: number;
  };
  readonly cloudSql: {
    /** Cloud SQL machine tier, e.g. `db-custom-2-7680`. */
    readonly tier: string;
    readonly diskGiB: number;
  };
}

export interface Catalog {
  readonly services: readonly ServiceSpec[];
  readonly topics: readonly TopicSpec[];
  readonly environments: readonly EnvironmentSpec[];
}
