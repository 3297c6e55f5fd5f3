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
  /** Required for containers. */
  readonly scaling?: ScalingSpec;
  /** Required for containers. */
  readonly resources?: ResourceSpec;
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
  /** Protects stateful resources from deletion and retains them when their stack is deleted. */
  readonly deletionProtection: boolean;
  readonly logRetentionDays: number;
}

export interface Catalog {
  readonly services: readonly ServiceSpec[];
  readonly topics: readonly TopicSpec[];
  readonly environments: readonly EnvironmentSpec[];
}
