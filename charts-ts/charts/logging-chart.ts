import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { containerLogGroupName, LOG_SHIPPER } from '../../lib/platform';
import type { ResolvedK8sConfig } from '../config';
import { PART_OF, POD_IDENTITY_AGENT, podSecurityLabels } from '../conventions';

/**
 * AWS's Fluent Bit distribution: its `cloudwatch_logs` output takes EKS Pod Identity credentials (since 2.32.5).
 * Pinned by tag; the tag is immutable in the public registry.
 */
export const FLUENT_BIT_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.5.20250327';
export const FLUENT_BIT_NAME = LOG_SHIPPER.serviceAccount;
const HEALTH_PORT = 2020;

export interface LoggingChartProps {
  readonly config: ResolvedK8sConfig;
}

/** The CloudWatch Logs group every container's log goes to (the Cluster stack creates it with the catalog's retention). */
export const containerLogGroup = (config: ResolvedK8sConfig): string => containerLogGroupName(config.environment);

/** Fluent Bit's configuration: tail every container log, add Kubernetes metadata, merge pino's JSON, ship. */
export function fluentBitConfig(config: ResolvedK8sConfig): string {
  const env = config.environment;
  return `[SERVICE]
    Flush                     5
    Log_Level                 info
    Daemon                    off
    HTTP_Server               On
    HTTP_Listen               0.0.0.0
    HTTP_Port                 ${HEALTH_PORT}
    Health_Check              On
    storage.path              /var/fluent-bit/state/flb-storage/
    storage.sync              normal
    storage.backlog.mem_limit 16M

[INPUT]
    Name              tail
    Tag               kube.*
    Path              /var/log/containers/*.log
    Exclude_Path      /var/log/containers/${FLUENT_BIT_NAME}-*_${LOG_SHIPPER.namespace}_*.log
    multiline.parser  cri
    DB                /var/fluent-bit/state/flb_kube.db
    Mem_Buf_Limit     50MB
    Skip_Long_Lines   On
    Refresh_Interval  10
    storage.type      filesystem

[FILTER]
    Name                kubernetes
    Match               kube.*
    Kube_Tag_Prefix     kube.var.log.containers.
    Merge_Log           On
    Keep_Log            Off
    K8S-Logging.Parser  On
    K8S-Logging.Exclude On
    Annotations         Off

[OUTPUT]
    Name                cloudwatch_logs
    Match               kube.*
    region              ${config.region}
    log_group_name      ${containerLogGroup(config)}
    log_stream_prefix   ${env.name}.
    auto_create_group   Off
    Retry_Limit         5
`;
}

/**
 * Log shipping: a Fluent Bit DaemonSet in its own namespace, sending every container's log to the CloudWatch Logs
 * group the AWS Cluster stack creates (encrypted, with the catalog's retention), with the Pod Identity it binds to
 * this ServiceAccount (see docs/decisions/0005-observability.md for why not an in-cluster Elasticsearch).
 * Reading the nodes' log files needs hostPath volumes and uid 0, so the namespace enforces Pod Security
 * `privileged` and warns at `baseline`; nothing else runs there.
 */
export class LoggingChart extends Chart {
  constructor(scope: Construct, id: string, props: LoggingChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config } = props;
    const namespace = LOG_SHIPPER.namespace;
    const name = FLUENT_BIT_NAME;
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF };

    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: namespace,
        labels: {
          'app.kubernetes.io/part-of': PART_OF,
          ...podSecurityLabels('privileged', config.kubernetesVersion, 'baseline'),
        },
      },
    });
    // Needs a token: the kubernetes filter reads pod metadata from the API server.
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: { name, namespace, labels } });
    new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: `${PART_OF}-${name}`, labels },
      rules: [{ apiGroups: [''], resources: ['namespaces', 'pods'], verbs: ['get', 'list', 'watch'] }],
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: `${PART_OF}-${name}`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${PART_OF}-${name}` },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
    new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: `${name}-config`, namespace, labels },
      data: { 'fluent-bit.conf': fluentBitConfig(config) },
    });

    const tcp = (port: number) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
    const policy = (policyName: string, spec: k8s.NetworkPolicySpec) =>
      new k8s.KubeNetworkPolicy(this, policyName, { metadata: { name: policyName, namespace, labels }, spec });
    policy('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy(`allow-${name}-egress`, {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': name } },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, tcp(53)],
        },
        // The API server (pod metadata) and CloudWatch Logs: HTTPS endpoints with changing addresses.
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [tcp(443)] },
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [tcp(POD_IDENTITY_AGENT.port)] },
      ],
    });
    policy(`allow-${name}-metrics-from-monitoring`, {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': name } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': config.monitoringNamespace } } }],
          ports: [tcp(HEALTH_PORT)],
        },
      ],
    });

    const q = (value: string) => k8s.Quantity.fromString(value);
    const healthGet = (path: string) => ({ path, port: k8s.IntOrString.fromString('http') });
    new k8s.KubeDaemonSet(this, 'DaemonSet', {
      metadata: {
        name,
        namespace,
        labels,
        // Runs as uid 0 on purpose (the node's log files are root's); the reason is in docs/decisions/0005.
        annotations: { 'kube-score/ignore': 'container-security-context-user-group-id' },
      },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': name } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            priorityClassName: 'system-node-critical',
            tolerations: [{ operator: 'Exists' }],
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name,
                image: FLUENT_BIT_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['/fluent-bit/bin/fluent-bit', '-c', '/fluent-bit/config/fluent-bit.conf'],
                ports: [{ name: 'http', containerPort: HEALTH_PORT, protocol: 'TCP' }],
                resources: {
                  requests: { cpu: q('50m'), memory: q('64Mi'), 'ephemeral-storage': q('32Mi') },
                  limits: { cpu: q('500m'), memory: q('256Mi'), 'ephemeral-storage': q('128Mi') },
                },
                securityContext: {
                  // uid 0 without capabilities: enough to read the root-owned log files, nothing more.
                  runAsUser: 0,
                  runAsNonRoot: false,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  privileged: false,
                  capabilities: { drop: ['ALL'] },
                },
                // No readiness probe: no Service sends traffic to it.
                livenessProbe: { httpGet: healthGet('/api/v1/health'), periodSeconds: 30, timeoutSeconds: 5 },
                volumeMounts: [
                  { name: 'config', mountPath: '/fluent-bit/config', readOnly: true },
                  { name: 'varlog', mountPath: '/var/log', readOnly: true },
                  { name: 'state', mountPath: '/var/fluent-bit/state' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: `${name}-config` } },
              { name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } },
              // Read offsets survive a restart, so nothing is shipped twice or skipped.
              { name: 'state', hostPath: { path: '/var/fluent-bit/state', type: 'DirectoryOrCreate' } },
            ],
          },
        },
      },
    });
  }
}
