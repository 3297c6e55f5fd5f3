import { createHash } from 'node:crypto';
import { ApiObject, Chart, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import {
  KUBERNETES_NAMESPACE,
  PERSISTENT_STORAGE_CLASS,
  TRACE_COLLECTOR,
  TRACE_STORE,
  traceIngressTargetGroupName,
} from '../../lib/platform';
import type { ResolvedK8sConfig } from '../config';
import { PART_OF, podSecurityLabels } from '../conventions';

/**
 * The OpenTelemetry Collector's contrib distribution: the OTLP receiver, the tail sampling processor and the OTLP
 * exporter are all in it. Pinned by version; the tag is immutable.
 */
export const COLLECTOR_IMAGE =
  'ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib:0.120.0';
/** Grafana Tempo, single binary (distributor, ingester, querier and compactor in one process). */
export const TEMPO_IMAGE = 'grafana/tempo:2.9.0';

/**
 * Tempo's own ports between its parts in the single binary: gRPC (the querier asks the ingester, at the address the
 * ring holds, the pod's IP) and memberlist (the ring's gossip).
 */
const TEMPO_INTERNAL_PORTS = [9095, 7946];
/** The collector's health_check extension: readiness, liveness and the VPC load balancer's health checks. */
const COLLECTOR_HEALTH_PORT = TRACE_COLLECTOR.healthPort;
/** Both images run as this non-root user; their volumes are owned by it. */
const IMAGE_USER = 10001;

/**
 * Which traces the collector keeps, decided once a trace's spans stopped arriving for `decisionWaitSeconds`: every
 * trace with an error span, every trace slower than the latency SLO (the alerts' p99 objective), and
 * `keepPercent` % of the rest. The services record every trace (their head sampler's default ratio is 1), so the
 * decision is made on whole traces here, not guessed at the first span.
 */
export const TAIL_SAMPLING = {
  decisionWaitSeconds: 10,
  keepPercent: 10,
  /** Traces held while waiting for their decision: about 100 new traces a second for `decisionWaitSeconds`, twice over. */
  maxTraces: 2000,
} as const;

/** How long Tempo keeps a trace, and the volume that holds that much at the platform's rate, with headroom. */
export const TRACE_RETENTION_HOURS = 168;
export const TEMPO_VOLUME_SIZE = '20Gi';

export const COLLECTOR_NAME = TRACE_COLLECTOR.serviceAccount;
export const TEMPO_NAME = TRACE_STORE.serviceAccount;

/** Tempo's address for the collector's OTLP exporter (gRPC) and for Grafana's data source (HTTP). */
export const tempoHost = (): string => `${TEMPO_NAME}.${TRACE_STORE.namespace}.svc.cluster.local`;
export const tempoQueryUrl = (): string => `http://${tempoHost()}:${TRACE_STORE.httpPort}`;

/** The collector's configuration: OTLP in, memory limit, tail sampling, batches, OTLP to Tempo. */
export function collectorConfig(config: ResolvedK8sConfig): Record<string, unknown> {
  return {
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${TRACE_COLLECTOR.otlpGrpcPort}` },
          http: { endpoint: `0.0.0.0:${TRACE_COLLECTOR.otlpHttpPort}` },
        },
      },
    },
    processors: {
      // Refuses data (the SDKs retry) before the container's memory limit is reached.
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 },
      tail_sampling: {
        decision_wait: `${TAIL_SAMPLING.decisionWaitSeconds}s`,
        num_traces: TAIL_SAMPLING.maxTraces,
        // A trace is kept when any policy keeps it.
        policies: [
          { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
          {
            name: 'slow',
            type: 'latency',
            latency: { threshold_ms: Math.round(config.slo.p99LatencySeconds * 1000) },
          },
          {
            name: 'ratio',
            type: 'probabilistic',
            probabilistic: { sampling_percentage: TAIL_SAMPLING.keepPercent },
          },
        ],
      },
      batch: { timeout: '5s', send_batch_size: 512 },
    },
    exporters: {
      'otlp/tempo': {
        endpoint: `${tempoHost()}:${TRACE_STORE.otlpGrpcPort}`,
        // Inside the namespace, between two pods the NetworkPolicies pair; Tempo serves no TLS of its own.
        tls: { insecure: true },
      },
    },
    extensions: { health_check: { endpoint: `0.0.0.0:${COLLECTOR_HEALTH_PORT}` } },
    service: {
      extensions: ['health_check'],
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['memory_limiter', 'tail_sampling', 'batch'],
          exporters: ['otlp/tempo'],
        },
      },
    },
  };
}

/** Tempo's configuration: OTLP/gRPC in, blocks on the local volume, kept `TRACE_RETENTION_HOURS`. */
export function tempoConfig(): Record<string, unknown> {
  return {
    server: { http_listen_port: TRACE_STORE.httpPort },
    distributor: {
      receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${TRACE_STORE.otlpGrpcPort}` } } } },
    },
    storage: {
      trace: {
        backend: 'local',
        local: { path: '/var/tempo/traces' },
        wal: { path: '/var/tempo/wal' },
      },
    },
    compactor: { compaction: { block_retention: `${TRACE_RETENTION_HOURS}h` } },
    usage_report: { reporting_enabled: false },
  };
}

export interface TracingChartProps {
  readonly config: ResolvedK8sConfig;
}

/**
 * Traces in the cluster (docs/decisions/0018): the OpenTelemetry Collector receives OTLP from every pod of the
 * platform namespace, keeps whole traces by tail sampling and sends them to Grafana Tempo, which Grafana queries.
 * Default deny in the namespace; open are OTLP from the platform's pods to the collector, OTLP from the collector to
 * Tempo, and Tempo's HTTP port to the monitoring namespace (Grafana's queries, Prometheus' scrape). One collector:
 * tail sampling needs every span of a trace in the same process. Clients outside the cluster (the notification
 * Lambda) come through the AWS Cluster stack's internal load balancer: a TargetGroupBinding registers the collector's
 * pods in its target group, and the VPC may reach the OTLP/HTTP and health ports.
 */
export class TracingChart extends Chart {
  constructor(scope: Construct, id: string, props: TracingChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { config } = props;
    const namespace = TRACE_COLLECTOR.namespace;
    const q = (value: string) => k8s.Quantity.fromString(value);
    const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
    const selector = (name: string) => ({ 'app.kubernetes.io/name': name });
    const labelsOf = (name: string) => ({ ...selector(name), 'app.kubernetes.io/part-of': PART_OF });
    const inNamespace = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });

    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: namespace,
        labels: { 'app.kubernetes.io/part-of': PART_OF, ...podSecurityLabels('restricted', config.kubernetesVersion) },
      },
    });

    const securityContext: k8s.SecurityContext = {
      runAsNonRoot: true,
      runAsUser: IMAGE_USER,
      runAsGroup: IMAGE_USER,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    };
    const podSecurity: k8s.PodSecurityContext = {
      runAsNonRoot: true,
      runAsUser: IMAGE_USER,
      runAsGroup: IMAGE_USER,
      fsGroup: IMAGE_USER,
      seccompProfile: { type: 'RuntimeDefault' },
    };

    // The collector.
    const collector = labelsOf(COLLECTOR_NAME);
    new k8s.KubeServiceAccount(this, 'CollectorServiceAccount', {
      metadata: { name: COLLECTOR_NAME, namespace, labels: collector },
      automountServiceAccountToken: false,
    });
    const collectorYaml = Yaml.stringify(collectorConfig(config));
    new k8s.KubeConfigMap(this, 'CollectorConfig', {
      metadata: { name: `${COLLECTOR_NAME}-config`, namespace, labels: collector },
      data: { 'config.yaml': collectorYaml },
    });
    const otlpPorts = [
      { name: 'otlp-grpc', port: TRACE_COLLECTOR.otlpGrpcPort },
      { name: 'otlp-http', port: TRACE_COLLECTOR.otlpHttpPort },
    ];
    new k8s.KubeService(this, 'CollectorService', {
      metadata: { name: COLLECTOR_NAME, namespace, labels: collector },
      spec: {
        selector: selector(COLLECTOR_NAME),
        ports: otlpPorts.map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: k8s.IntOrString.fromString(p.name),
          protocol: 'TCP',
        })),
      },
    });
    new k8s.KubeDeployment(this, 'CollectorDeployment', {
      metadata: {
        name: COLLECTOR_NAME,
        namespace,
        labels: collector,
        // One replica on purpose: a second would see only part of each trace and decide its sampling wrongly. While
        // the pod restarts, the services' exporters retry and then drop spans; requests are never held up by it.
        annotations: { 'kube-score/ignore': 'deployment-replicas' },
      },
      spec: {
        // One replica: tail sampling decides on whole traces, so every span of a trace must reach the same process.
        replicas: 1,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector(COLLECTOR_NAME) },
        template: {
          metadata: {
            labels: collector,
            annotations: { 'shopfront.io/config-hash': hash(collectorYaml) },
          },
          spec: {
            serviceAccountName: COLLECTOR_NAME,
            automountServiceAccountToken: false,
            securityContext: podSecurity,
            containers: [
              {
                name: COLLECTOR_NAME,
                image: COLLECTOR_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                args: ['--config=/conf/config.yaml'],
                ports: [
                  ...otlpPorts.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
                  { name: 'health', containerPort: COLLECTOR_HEALTH_PORT, protocol: 'TCP' },
                ],
                // The memory limiter works from the container's limit (GOMEMLIMIT follows it).
                env: [{ name: 'GOMEMLIMIT', value: '400MiB' }],
                resources: {
                  requests: { cpu: q('100m'), memory: q('256Mi'), 'ephemeral-storage': q('32Mi') },
                  limits: { cpu: q('1'), memory: q('512Mi'), 'ephemeral-storage': q('64Mi') },
                },
                securityContext,
                readinessProbe: {
                  httpGet: { path: '/', port: k8s.IntOrString.fromString('health') },
                  periodSeconds: 10,
                },
                livenessProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromString('health') },
                  periodSeconds: 20,
                  failureThreshold: 3,
                },
                volumeMounts: [{ name: 'config', mountPath: '/conf', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: `${COLLECTOR_NAME}-config` } }],
          },
        },
      },
    });

    // The AWS Load Balancer Controller keeps the collector's pod IPs registered in the Cluster stack's target group.
    new ApiObject(this, 'CollectorTargetGroupBinding', {
      apiVersion: 'elbv2.k8s.aws/v1beta1',
      kind: 'TargetGroupBinding',
      metadata: { name: `${COLLECTOR_NAME}-otlp-http`, namespace, labels: collector },
      spec: {
        serviceRef: { name: COLLECTOR_NAME, port: TRACE_COLLECTOR.otlpHttpPort },
        targetGroupName: traceIngressTargetGroupName(config.environment),
        targetType: 'ip',
      },
    });

    // Tempo.
    const tempo = labelsOf(TEMPO_NAME);
    new k8s.KubeServiceAccount(this, 'TempoServiceAccount', {
      metadata: { name: TEMPO_NAME, namespace, labels: tempo },
      automountServiceAccountToken: false,
    });
    const tempoYaml = Yaml.stringify(tempoConfig());
    new k8s.KubeConfigMap(this, 'TempoConfig', {
      metadata: { name: `${TEMPO_NAME}-config`, namespace, labels: tempo },
      data: { 'tempo.yaml': tempoYaml },
    });
    new k8s.KubeService(this, 'TempoService', {
      metadata: { name: TEMPO_NAME, namespace, labels: tempo },
      spec: {
        // Headless: the StatefulSet's governing Service; one pod, reached at its own address.
        clusterIp: 'None',
        selector: selector(TEMPO_NAME),
        ports: [
          { name: 'http', port: TRACE_STORE.httpPort, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' },
          {
            name: 'otlp-grpc',
            port: TRACE_STORE.otlpGrpcPort,
            targetPort: k8s.IntOrString.fromString('otlp-grpc'),
            protocol: 'TCP',
          },
        ],
      },
    });
    new k8s.KubeStatefulSet(this, 'TempoStatefulSet', {
      metadata: { name: TEMPO_NAME, namespace, labels: tempo },
      spec: {
        serviceName: TEMPO_NAME,
        // One writer of one volume (a gp3 volume attaches to one node); traces survive a restart on the volume.
        replicas: 1,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector(TEMPO_NAME) },
        template: {
          metadata: {
            labels: tempo,
            annotations: {
              'shopfront.io/config-hash': hash(tempoYaml),
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(TRACE_STORE.httpPort),
              'prometheus.io/path': '/metrics',
            },
          },
          spec: {
            serviceAccountName: TEMPO_NAME,
            automountServiceAccountToken: false,
            securityContext: podSecurity,
            containers: [
              {
                name: TEMPO_NAME,
                image: TEMPO_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                args: ['-config.file=/conf/tempo.yaml'],
                ports: [
                  { name: 'http', containerPort: TRACE_STORE.httpPort, protocol: 'TCP' },
                  { name: 'otlp-grpc', containerPort: TRACE_STORE.otlpGrpcPort, protocol: 'TCP' },
                ],
                resources: {
                  requests: { cpu: q('100m'), memory: q('512Mi'), 'ephemeral-storage': q('32Mi') },
                  limits: { cpu: q('1'), memory: q('2Gi'), 'ephemeral-storage': q('64Mi') },
                },
                securityContext,
                readinessProbe: {
                  httpGet: { path: '/ready', port: k8s.IntOrString.fromString('http') },
                  initialDelaySeconds: 15,
                  periodSeconds: 10,
                },
                livenessProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromString('http') },
                  periodSeconds: 20,
                  failureThreshold: 3,
                },
                volumeMounts: [
                  { name: 'config', mountPath: '/conf', readOnly: true },
                  { name: 'data', mountPath: '/var/tempo' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: `${TEMPO_NAME}-config` } },
              { name: 'tmp', emptyDir: { sizeLimit: q('32Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: tempo },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: PERSISTENT_STORAGE_CLASS,
              resources: { requests: { storage: q(TEMPO_VOLUME_SIZE) } },
            },
          },
        ],
      },
    });

    // NetworkPolicies: default deny, then the three paths traces take.
    const policy = (name: string, spec: k8s.NetworkPolicySpec) =>
      new k8s.KubeNetworkPolicy(this, name, {
        metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': PART_OF } },
        spec,
      });
    policy('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy(`allow-${COLLECTOR_NAME}-otlp-from-platform`, {
      podSelector: { matchLabels: selector(COLLECTOR_NAME) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ namespaceSelector: inNamespace(KUBERNETES_NAMESPACE) }],
          ports: otlpPorts.map((p) => tcp(p.port)),
        },
      ],
    });
    // The internal load balancer forwards from its own addresses in the VPC (IP targets keep no client address).
    policy(`allow-${COLLECTOR_NAME}-otlp-from-vpc`, {
      podSelector: { matchLabels: selector(COLLECTOR_NAME) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ ipBlock: { cidr: config.environment.network.cidr } }],
          ports: [tcp(TRACE_COLLECTOR.otlpHttpPort), tcp(COLLECTOR_HEALTH_PORT)],
        },
      ],
    });
    policy(`allow-${COLLECTOR_NAME}-to-${TEMPO_NAME}`, {
      podSelector: { matchLabels: selector(COLLECTOR_NAME) },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            { namespaceSelector: inNamespace('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
          ],
          ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, tcp(53)],
        },
        { to: [{ podSelector: { matchLabels: selector(TEMPO_NAME) } }], ports: [tcp(TRACE_STORE.otlpGrpcPort)] },
      ],
    });
    policy(`allow-${TEMPO_NAME}-otlp-from-${COLLECTOR_NAME}`, {
      podSelector: { matchLabels: selector(TEMPO_NAME) },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: selector(COLLECTOR_NAME) } }],
          ports: [tcp(TRACE_STORE.otlpGrpcPort)],
        },
      ],
    });
    // Tempo's parts reach each other through the pod's own address, which a NetworkPolicy may judge like any other.
    policy(`allow-${TEMPO_NAME}-to-itself`, {
      podSelector: { matchLabels: selector(TEMPO_NAME) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [{ podSelector: { matchLabels: selector(TEMPO_NAME) } }], ports: TEMPO_INTERNAL_PORTS.map(tcp) },
      ],
      egress: [{ to: [{ podSelector: { matchLabels: selector(TEMPO_NAME) } }], ports: TEMPO_INTERNAL_PORTS.map(tcp) }],
    });
    policy(`allow-${TEMPO_NAME}-http-from-monitoring`, {
      podSelector: { matchLabels: selector(TEMPO_NAME) },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ namespaceSelector: inNamespace(config.monitoringNamespace) }], ports: [tcp(TRACE_STORE.httpPort)] },
      ],
    });
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
