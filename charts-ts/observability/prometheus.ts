import { KUBERNETES_NAMESPACE, type PlatformQuery } from '../../lib/platform';
import type { ResolvedK8sConfig } from '../config';

/** File names inside the Prometheus server's config folder; rule_files are relative to prometheus.yml. */
export const PROMETHEUS_FILES = {
  config: 'prometheus.yml',
  recording: 'recording_rules.yml',
  alerting: 'alerting_rules.yml',
} as const;

/** gRPC codes that mean the server failed (the others are the caller's fault or business outcomes). */
export const GRPC_SERVER_ERROR_CODES = [
  'Unknown',
  'DeadlineExceeded',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
];

/** The seed's annotation-driven pod scraping (prometheus.io/scrape, /path, /port), verbatim. */
export const SEED_POD_RELABELLING = [
  { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
  {
    source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'],
    action: 'replace',
    target_label: '__metrics_path__',
    regex: '(.+)',
  },
  {
    source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
    action: 'replace',
    regex: '([^:]+)(?::\\d+)?;(\\d+)',
    replacement: '$1:$2',
    target_label: '__address__',
  },
];

/** prometheus.yml: the seed's pod job plus Prometheus itself and annotated Services (kube-state-metrics). */
export function prometheusConfig(config: ResolvedK8sConfig): Record<string, unknown> {
  return {
    global: {
      scrape_interval: '15s',
      evaluation_interval: '15s',
      external_labels: { environment: config.environment.name },
    },
    rule_files: [PROMETHEUS_FILES.recording, PROMETHEUS_FILES.alerting],
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: ['localhost:9090'] }] },
      {
        job_name: 'kubernetes-pods',
        kubernetes_sd_configs: [{ role: 'pod' }],
        relabel_configs: [
          ...SEED_POD_RELABELLING,
          { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'namespace' },
          { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'pod' },
          {
            source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'],
            action: 'replace',
            target_label: 'app',
          },
        ],
      },
      {
        job_name: 'kubernetes-service-endpoints',
        kubernetes_sd_configs: [{ role: 'endpoints' }],
        relabel_configs: [
          {
            source_labels: ['__meta_kubernetes_service_annotation_prometheus_io_scrape'],
            action: 'keep',
            regex: 'true',
          },
          {
            source_labels: ['__meta_kubernetes_service_annotation_prometheus_io_path'],
            action: 'replace',
            target_label: '__metrics_path__',
            regex: '(.+)',
          },
          {
            source_labels: ['__address__', '__meta_kubernetes_service_annotation_prometheus_io_port'],
            action: 'replace',
            regex: '([^:]+)(?::\\d+)?;(\\d+)',
            replacement: '$1:$2',
            target_label: '__address__',
          },
          { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'namespace' },
          { source_labels: ['__meta_kubernetes_service_name'], action: 'replace', target_label: 'kubernetes_service' },
        ],
      },
    ],
  };
}

/** Regex alternatives of literal names, for PromQL label matchers. */
const anyOf = (names: readonly string[]): string =>
  names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|');

/** The catalog's container services, as a PromQL matcher on the `service` label their metrics carry. */
export function serviceMatcher(catalog: PlatformQuery): string {
  return `namespace="${KUBERNETES_NAMESPACE}", service=~"${anyOf(catalog.containers.map((s) => s.name))}"`;
}

/** Every consumer group of the catalog (one per consuming service and topic). */
export function consumerGroups(catalog: PlatformQuery): { service: string; topic: string; group: string }[] {
  return catalog.catalog.services.flatMap((s) =>
    s.consumes.map((topic) => ({ service: s.name, topic, group: catalog.consumerGroup(s.name, topic) })),
  );
}

const by = 'namespace, service';

/** RED recording rules per service (HTTP and gRPC) and Kafka lag per group and topic. */
export function recordingRules(catalog: PlatformQuery): Record<string, unknown> {
  const m = serviceMatcher(catalog);
  const grpcErrors = `grpc_code=~"${GRPC_SERVER_ERROR_CODES.join('|')}"`;
  return {
    groups: [
      {
        name: 'shopfront-red',
        rules: [
          { record: 'service:http_requests:rate5m', expr: `sum by (${by}) (rate(http_requests_total{${m}}[5m]))` },
          {
            record: 'service:http_request_errors:ratio_rate5m',
            expr: `sum by (${by}) (rate(http_requests_total{${m}, status_code=~"5.."}[5m])) / sum by (${by}) (rate(http_requests_total{${m}}[5m]))`,
          },
          {
            record: 'service:http_request_duration_seconds:p99_5m',
            expr: `histogram_quantile(0.99, sum by (${by}, le) (rate(http_request_duration_seconds_bucket{${m}}[5m])))`,
          },
          {
            record: 'service:grpc_server_handled:rate5m',
            expr: `sum by (${by}) (rate(grpc_server_handled_total{${m}}[5m]))`,
          },
          {
            record: 'service:grpc_server_errors:ratio_rate5m',
            expr: `sum by (${by}) (rate(grpc_server_handled_total{${m}, ${grpcErrors}}[5m])) / sum by (${by}) (rate(grpc_server_handled_total{${m}}[5m]))`,
          },
          {
            record: 'service:grpc_server_handling_seconds:p99_5m',
            expr: `histogram_quantile(0.99, sum by (${by}, le) (rate(grpc_server_handling_seconds_bucket{${m}}[5m])))`,
          },
        ],
      },
      {
        name: 'shopfront-kafka',
        rules: [
          {
            record: 'consumergroup_topic:kafka_consumergroup_lag:sum',
            expr: 'sum by (consumergroup, topic) (kafka_consumergroup_lag)',
          },
        ],
      },
    ],
  };
}

/** Alerts on the SLOs: p99 latency, server-error ratio, consumer lag, autoscalers pinned at their maximum. */
export function alertingRules(catalog: PlatformQuery, config: ResolvedK8sConfig): Record<string, unknown> {
  const { slo } = config;
  const ns = `namespace="${KUBERNETES_NAMESPACE}"`;
  const groups = consumerGroups(catalog);
  const alert = (name: string, expr: string, forDuration: string, summary: string, description: string) => ({
    alert: name,
    expr,
    for: forDuration,
    labels: { severity: 'page' },
    annotations: { summary, description },
  });
  // The same latency and error objectives for HTTP and gRPC, on the recording rules of each.
  const protocols = [
    {
      name: 'Http',
      label: 'HTTP',
      series: 'http_request_duration_seconds',
      errors: 'http_request_errors',
      failed: '5xx',
      calls: 'requests',
    },
    {
      name: 'Grpc',
      label: 'gRPC',
      series: 'grpc_server_handling_seconds',
      errors: 'grpc_server_errors',
      failed: 'server-error',
      calls: 'RPCs',
    },
  ];
  const rules = [
    ...protocols.map((p) =>
      alert(
        `Shopfront${p.name}LatencyP99High`,
        `service:${p.series}:p99_5m > ${slo.p99LatencySeconds}`,
        '10m',
        `{{ $labels.service }}: ${p.label} p99 latency above the SLO`,
        `p99 over 5 minutes is {{ $value | humanizeDuration }}; the objective is ${slo.p99LatencySeconds} s.`,
      ),
    ),
    ...protocols.map((p) =>
      alert(
        `Shopfront${p.name}ErrorRatioHigh`,
        `service:${p.errors}:ratio_rate5m > ${slo.maxErrorRatio}`,
        '10m',
        `{{ $labels.service }}: ${p.label} ${p.failed} ratio above the SLO`,
        `{{ $value | humanizePercentage }} of ${p.calls} failed over 5 minutes; the objective is below ${slo.maxErrorRatio * 100}%.`,
      ),
    ),
    alert(
      'ShopfrontAutoscalerAtMaximum',
      `kube_horizontalpodautoscaler_status_current_replicas{${ns}} >= kube_horizontalpodautoscaler_spec_max_replicas{${ns}}`,
      '15m',
      '{{ $labels.horizontalpodautoscaler }} has run at its maximum replicas for 15 minutes',
      'The autoscaler cannot add capacity: raise maxReplicas in the catalog or find the bottleneck.',
    ),
    alert(
      'ShopfrontTargetDown',
      `up{${ns}} == 0`,
      '5m',
      '{{ $labels.pod }} does not answer scrapes',
      'Prometheus could not scrape {{ $labels.instance }} for 5 minutes.',
    ),
  ];
  if (groups.length > 0) {
    rules.push(
      alert(
        'ShopfrontKafkaConsumerLagHigh',
        `consumergroup_topic:kafka_consumergroup_lag:sum{consumergroup=~"${anyOf(groups.map((g) => g.group))}"} > ${slo.maxConsumerLag}`,
        '10m',
        '{{ $labels.consumergroup }} lags on {{ $labels.topic }}',
        `{{ $value }} records behind for 10 minutes; the objective is at most ${slo.maxConsumerLag}.`,
      ),
    );
  }
  return { groups: [{ name: 'shopfront-slo', rules }] };
}
