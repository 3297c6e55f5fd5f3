import {
  grpcPort,
  KUBERNETES_NAMESPACE,
  type PlatformQuery,
  type ServiceSpec,
  TOPIC_ANALYTICS_RESULTS,
  TOPIC_ORDERS,
} from '../../lib/platform';
import { consumerGroups, GRPC_SERVER_ERROR_CODES } from './prometheus';

/** The Prometheus data source the Grafana chart provisions (observability chart values). */
export const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;
/** Grafana Tempo, the traces the cluster's collector keeps (charts-ts/charts/tracing-chart.ts). */
export const TEMPO_DATASOURCE = { type: 'tempo', uid: 'tempo' } as const;
/** The exemplar label holding the trace id: the service kit's latency histograms write it (lib/runtime/metrics.ts). */
export const EXEMPLAR_TRACE_ID_LABEL = 'trace_id';

export interface Dashboard {
  /** File and ConfigMap name stem: `shopfront-<uid>`. */
  readonly uid: string;
  readonly model: Record<string, unknown>;
}

interface PanelSpec {
  readonly title: string;
  readonly unit: string;
  readonly targets: readonly {
    readonly expr: string;
    readonly legend: string;
    /** Ask Prometheus for the exemplars of the series (a histogram's buckets): each links to its trace. */
    readonly exemplar?: boolean;
  }[];
}

/** A dashboard of time-series panels, two per row, in the order given. */
function dashboard(uid: string, title: string, tags: readonly string[], panels: readonly PanelSpec[]): Dashboard {
  return {
    uid,
    model: {
      uid: `shopfront-${uid}`,
      title,
      tags: ['shopfront', ...tags],
      timezone: 'utc',
      schemaVersion: 39,
      version: 1,
      editable: false,
      refresh: '30s',
      time: { from: 'now-6h', to: 'now' },
      panels: panels.map((p, i) => ({
        id: i + 1,
        type: 'timeseries',
        title: p.title,
        datasource: PROMETHEUS_DATASOURCE,
        gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
        targets: p.targets.map((t, j) => ({
          refId: String.fromCharCode(65 + j),
          datasource: PROMETHEUS_DATASOURCE,
          expr: t.expr,
          legendFormat: t.legend,
          ...(t.exemplar ? { exemplar: true } : {}),
        })),
      })),
    },
  };
}

const sel = (service: string, extra = ''): string =>
  `namespace="${KUBERNETES_NAMESPACE}", service="${service}"${extra ? `, ${extra}` : ''}`;
const grpcErrors = `grpc_code=~"${GRPC_SERVER_ERROR_CODES.join('|')}"`;

function httpPanels(service: string): PanelSpec[] {
  const s = sel(service);
  return [
    {
      title: 'HTTP requests by route',
      unit: 'reqps',
      targets: [{ expr: `sum by (route) (rate(http_requests_total{${s}}[5m]))`, legend: '{{route}}' }],
    },
    {
      title: 'HTTP 5xx ratio',
      unit: 'percentunit',
      targets: [{ expr: `service:http_request_errors:ratio_rate5m{${s}}`, legend: 'errors' }],
    },
    {
      title: 'HTTP latency',
      unit: 's',
      targets: [
        { expr: `service:http_request_duration_seconds:p99_5m{${s}}`, legend: 'p99' },
        {
          expr: `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{${s}}[5m])))`,
          legend: 'p50',
          exemplar: true,
        },
      ],
    },
  ];
}

function grpcPanels(service: string): PanelSpec[] {
  const s = sel(service);
  return [
    {
      title: 'gRPC calls by method',
      unit: 'reqps',
      targets: [
        { expr: `sum by (grpc_method) (rate(grpc_server_handled_total{${s}}[5m]))`, legend: '{{grpc_method}}' },
      ],
    },
    {
      title: 'gRPC results by code',
      unit: 'reqps',
      targets: [{ expr: `sum by (grpc_code) (rate(grpc_server_handled_total{${s}}[5m]))`, legend: '{{grpc_code}}' }],
    },
    {
      title: 'gRPC server-error ratio',
      unit: 'percentunit',
      targets: [{ expr: `service:grpc_server_errors:ratio_rate5m{${s}}`, legend: 'errors' }],
    },
    {
      title: 'gRPC latency',
      unit: 's',
      targets: [
        { expr: `service:grpc_server_handling_seconds:p99_5m{${s}}`, legend: 'p99' },
        {
          expr: `histogram_quantile(0.5, sum by (le) (rate(grpc_server_handling_seconds_bucket{${s}}[5m])))`,
          legend: 'p50',
          exemplar: true,
        },
      ],
    },
  ];
}

function saturationPanels(service: string): PanelSpec[] {
  const s = sel(service);
  return [
    {
      title: 'CPU per pod',
      unit: 'short',
      targets: [{ expr: `sum by (pod) (rate(process_cpu_seconds_total{${s}}[5m]))`, legend: '{{pod}}' }],
    },
    {
      title: 'Memory per pod (RSS)',
      unit: 'bytes',
      targets: [{ expr: `sum by (pod) (process_resident_memory_bytes{${s}})`, legend: '{{pod}}' }],
    },
    {
      title: 'Replicas (autoscaler)',
      unit: 'short',
      targets: [
        {
          expr: `kube_horizontalpodautoscaler_status_current_replicas{namespace="${KUBERNETES_NAMESPACE}", horizontalpodautoscaler="${service}"}`,
          legend: 'current',
        },
        {
          expr: `kube_horizontalpodautoscaler_spec_max_replicas{namespace="${KUBERNETES_NAMESPACE}", horizontalpodautoscaler="${service}"}`,
          legend: 'max',
        },
      ],
    },
  ];
}

/** RED (rate, errors, duration) and saturation of one service: HTTP panels if it has an `http` port, gRPC if gRPC. */
export function redDashboard(service: ServiceSpec): Dashboard {
  const panels = [
    ...(service.ports.some((p) => p.name === 'http') ? httpPanels(service.name) : []),
    ...(grpcPort(service) ? grpcPanels(service.name) : []),
    ...saturationPanels(service.name),
  ];
  return dashboard(`red-${service.name}`, `Shopfront / RED / ${service.name}`, ['red'], panels);
}

const lagPanel = (catalog: PlatformQuery, topic: string, consumers?: ReadonlySet<string>): PanelSpec => ({
  title: `Consumer lag on ${topic}`,
  unit: 'short',
  targets: consumerGroups(catalog)
    .filter((g) => g.topic === topic && (consumers?.has(g.service) ?? true))
    .map((g) => ({
      expr: `consumergroup_topic:kafka_consumergroup_lag:sum{consumergroup="${g.group}", topic="${topic}"}`,
      legend: g.service,
    })),
});

const topicRatePanel = (topic: string, title: string): PanelSpec => ({
  title,
  unit: 'short',
  targets: [
    {
      expr: `sum(rate(kafka_topic_partition_current_offset{topic="${topic}"}[5m])) * 60`,
      legend: `${topic} per minute`,
    },
  ],
});

/**
 * The order pipeline: who calls the producers of `orders`, the producers, what they call, then the topic and its
 * consumers. Derived from the catalog, so a new step of the saga appears here by itself.
 */
export function orderPipelineDashboard(catalog: PlatformQuery): Dashboard {
  const producers = catalog.producersOf(TOPIC_ORDERS);
  const names = new Set<string>();
  for (const p of producers) {
    for (const caller of catalog.callGraph.filter((e) => e.to === p.name)) names.add(caller.from);
    names.add(p.name);
    for (const callee of p.calls) names.add(callee);
  }
  const steps = catalog.containers.filter((s) => names.has(s.name));
  const panels: PanelSpec[] = steps.map((s) => {
    const selector = sel(s.name);
    return grpcPort(s)
      ? {
          title: `${s.name}: RPCs by method and result`,
          unit: 'reqps',
          targets: [
            {
              expr: `sum by (grpc_method, grpc_code) (rate(grpc_server_handled_total{${selector}}[5m]))`,
              legend: '{{grpc_method}} {{grpc_code}}',
            },
          ],
        }
      : {
          title: `${s.name}: order requests by status`,
          unit: 'reqps',
          targets: [
            {
              expr: `sum by (method, status_code) (rate(http_requests_total{${selector}, route=~"/api/v1/orders.*"}[5m]))`,
              legend: '{{method}} {{status_code}}',
            },
          ],
        };
  });
  panels.push({
    title: 'Server errors along the pipeline',
    unit: 'reqps',
    targets: steps
      .filter((s) => grpcPort(s))
      .map((s) => ({
        expr: `sum(rate(grpc_server_handled_total{${sel(s.name, grpcErrors)}}[5m]))`,
        legend: s.name,
      })),
  });
  panels.push(topicRatePanel(TOPIC_ORDERS, `Events published to ${TOPIC_ORDERS}`));
  panels.push(lagPanel(catalog, TOPIC_ORDERS));
  return dashboard('order-pipeline', 'Shopfront / Order pipeline', ['orders'], panels);
}

/** The analytics job: how far it lags on `orders` and how many windows it emits. */
export function analyticsDashboard(catalog: PlatformQuery): Dashboard {
  const jobs = new Set(catalog.producersOf(TOPIC_ANALYTICS_RESULTS).map((s) => s.name));
  const panels: PanelSpec[] = [
    lagPanel(catalog, TOPIC_ORDERS, jobs),
    topicRatePanel(TOPIC_ANALYTICS_RESULTS, `Windows published to ${TOPIC_ANALYTICS_RESULTS}`),
    topicRatePanel(TOPIC_ORDERS, `Events arriving on ${TOPIC_ORDERS}`),
  ];
  return dashboard('analytics', 'Shopfront / Analytics', ['analytics'], panels);
}

export function dashboards(catalog: PlatformQuery): Dashboard[] {
  return [...catalog.containers.map(redDashboard), orderPipelineDashboard(catalog), analyticsDashboard(catalog)];
}
