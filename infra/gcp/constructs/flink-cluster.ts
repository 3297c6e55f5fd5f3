import type { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { DataprocAutoscalingPolicy } from '@cdktf/provider-google/lib/dataproc-autoscaling-policy';
import { DataprocCluster } from '@cdktf/provider-google/lib/dataproc-cluster';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { dependable, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { type EnvironmentSpec, resourceName } from '../../../lib/platform';
import type { AnalyticsJob } from './analytics-job';
import { DATAPROC_TAG } from './network';

/**
 * The project-level roles of the cluster's service account, and nothing else at project level: Dataproc's
 * agent (roles/dataproc.worker; it also carries project-wide storage object permissions, see
 * docs/decisions/0007-flink-job-on-dataproc.md), and writing logs and metrics. Buckets and secrets are granted on
 * the resource itself.
 */
export const DATAPROC_PROJECT_ROLES = [
  'roles/dataproc.worker',
  'roles/logging.logWriter',
  'roles/monitoring.metricWriter',
];

export interface FlinkClusterProps {
  readonly environment: EnvironmentSpec;
  readonly subnet: ComputeSubnetwork;
  /** Dataproc's staging and temporary data, and the job's checkpoints. */
  readonly stagingBucket: StorageBucket;
  readonly job: AnalyticsJob;
  /** Cloud KMS key of the VMs' disks. @default - Google-managed keys */
  readonly kmsKeyName?: string;
  /** What must exist first (the APIs). @default - nothing beyond what the cluster references */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Dataproc with the Flink optional component, running the analytics job: one master (Flink on Dataproc has no
 * high-availability mode), workers bounded by an autoscaling policy, internal addresses only, Shielded VMs
 * (Secure Boot, vTPM, integrity monitoring), OS Login, the component gateway for Flink's and YARN's web UIs
 * (through Google's proxy, IAM-authenticated; no port is opened), and its own least-privilege service account.
 */
export class FlinkCluster extends Construct {
  readonly serviceAccount: ServiceAccount;
  /** `serviceAccount:<email>`, for IAM bindings on resources the cluster uses. */
  readonly member: string;
  readonly autoscalingPolicy: DataprocAutoscalingPolicy;
  readonly cluster: DataprocCluster;

  constructor(scope: Construct, id: string, props: FlinkClusterProps) {
    super(scope, id);
    const env = props.environment;
    const { dataproc } = env.gcp;

    this.serviceAccount = new ServiceAccount(this, 'ServiceAccount', {
      dependsOn: props.dependsOn,
      accountId: resourceName(env, 'flink'),
      displayName: `Shopfront ${env.name} Dataproc (Flink analytics job)`,
    });
    this.member = `serviceAccount:${this.serviceAccount.email}`;
    const grants = DATAPROC_PROJECT_ROLES.map((role) => {
      const name = role.replace('roles/', '').replace(/(^|\.)([a-z])/g, (_m, _dot, c: string) => c.toUpperCase());
      return new ProjectIamMember(this, `${name}Role`, { project: env.gcp.projectId, role, member: this.member });
    });

    // Flink's TaskManagers are long-lived YARN containers: the policy adds workers when YARN has pending memory
    // (a restart with more parallelism) and never removes them under a running job (scale-down factor 0);
    // shrinking is a change of the catalog and a new cluster.
    this.autoscalingPolicy = new DataprocAutoscalingPolicy(this, 'Autoscaling', {
      dependsOn: props.dependsOn,
      policyId: resourceName(env, 'flink-workers'),
      location: env.gcp.region,
      workerConfig: { minInstances: dataproc.minWorkers, maxInstances: dataproc.maxWorkers, weight: 1 },
      basicAlgorithm: {
        cooldownPeriod: '300s',
        yarnConfig: { gracefulDecommissionTimeout: '3600s', scaleUpFactor: 1, scaleDownFactor: 0 },
      },
    });

    const disk = { bootDiskType: 'pd-balanced', bootDiskSizeGb: dataproc.bootDiskGiB };
    this.cluster = new DataprocCluster(this, 'Cluster', {
      name: resourceName(env, 'flink'),
      region: env.gcp.region,
      gracefulDecommissionTimeout: '3600s',
      labels: { environment: env.name, component: 'analytics', 'job-version': props.job.version },
      dependsOn: [...grants, ...props.job.objects, ...(props.dependsOn ?? [])],
      clusterConfig: {
        stagingBucket: props.stagingBucket.name,
        tempBucket: props.stagingBucket.name,
        gceClusterConfig: {
          zone: env.gcp.zone,
          subnetwork: props.subnet.id,
          internalIpOnly: true,
          serviceAccount: this.serviceAccount.email,
          serviceAccountScopes: ['https://www.googleapis.com/auth/cloud-platform'],
          tags: [DATAPROC_TAG],
          shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
          metadata: {
            'enable-oslogin': 'true',
            'block-project-ssh-keys': 'true',
            // Dataproc starts a Flink YARN session on the master; the job is submitted to it.
            'flink-start-yarn-session': 'true',
            ...props.job.metadata,
          },
        },
        masterConfig: { numInstances: 1, machineType: dataproc.masterMachineType, diskConfig: disk },
        workerConfig: { numInstances: dataproc.minWorkers, machineType: dataproc.workerMachineType, diskConfig: disk },
        softwareConfig: {
          imageVersion: dataproc.imageVersion,
          optionalComponents: ['FLINK'],
          overrideProperties: {
            'dataproc:dataproc.logging.stackdriver.enable': 'true',
            'dataproc:dataproc.monitoring.stackdriver.enable': 'true',
            'flink:execution.checkpointing.interval': '60 s',
            'flink:execution.checkpointing.mode': 'EXACTLY_ONCE',
            'flink:execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
            'flink:state.backend.type': 'rocksdb',
            'flink:state.backend.incremental': 'true',
            'flink:restart-strategy.type': 'exponential-delay',
          },
        },
        endpointConfig: { enableHttpPortAccess: true },
        autoscalingConfig: { policyUri: this.autoscalingPolicy.id },
        initializationAction: [{ script: props.job.initializationScriptUri, timeoutSec: 900 }],
        encryptionConfig: props.kmsKeyName ? { kmsKeyName: props.kmsKeyName } : undefined,
      },
    });
  }

  /** Makes the cluster wait for a grant made elsewhere (a bucket or a secret it needs at start). */
  addGrant(grant: ITerraformDependable): void {
    this.cluster.dependsOn = [...(this.cluster.dependsOn ?? []), dependable(grant)];
  }
}
