import { Chart, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { PERSISTENT_STORAGE_CLASS, type PlatformQuery } from '../../lib/platform';
import type { ResolvedK8sConfig } from '../config';
import { PART_OF, podSecurityLabels } from '../conventions';
import {
  dashboards,
  EXEMPLAR_TRACE_ID_LABEL,
  PROMETHEUS_DATASOURCE,
  TEMPO_DATASOURCE,
} from '../observability/dashboards';
import { alertingRules, PROMETHEUS_FILES, prometheusConfig, recordingRules } from '../observability/prometheus';
import { tempoQueryUrl } from './tracing-chart';

/** Pinned Helm charts of the observability Application; upgrades are reviewed changes. */
export const PROMETHEUS_CHART = {
  repoURL: 'https://prometheus-community.github.io/helm-charts',
  chart: 'prometheus',
  version: '27.24.0',
} as const;
export const GRAFANA_CHART = {
  repoURL: 'https://grafana.github.io/helm-charts',
  chart: 'grafana',
  version: '9.2.10',
} as const;
/** The label Grafana's dashboard sidecar watches. */
export const DASHBOARD_LABEL = 'grafana_dashboard';

export interface ObservabilityChartProps {
  readonly catalog: PlatformQuery;
  readonly config: ResolvedK8sConfig;
}

/**
 * What the observability Application syncs from this repository: the monitoring namespace and one ConfigMap per
 * Grafana dashboard (generated from the catalog). Prometheus and Grafana themselves come from their Helm charts
 * with `prometheusValues` / `grafanaValues`, which carry the same config and rules as the plain files promtool checks.
 */
export class ObservabilityChart extends Chart {
  constructor(scope: Construct, id: string, props: ObservabilityChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { catalog, config } = props;
    const namespace = config.monitoringNamespace;
    const labels = { 'app.kubernetes.io/part-of': PART_OF };
    // The charts' pods run as non-root but do not set every field `restricted` asks for: enforce baseline, warn restricted.
    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: namespace,
        labels: { ...labels, ...podSecurityLabels('baseline', config.kubernetesVersion, 'restricted') },
      },
    });
    for (const d of dashboards(catalog)) {
      new k8s.KubeConfigMap(this, `dashboard-${d.uid}`, {
        metadata: { name: `dashboard-${d.uid}`, namespace, labels: { ...labels, [DASHBOARD_LABEL]: '1' } },
        data: { [`shopfront-${d.uid}.json`]: `${JSON.stringify(d.model, null, 2)}\n` },
      });
    }
  }
}

/** Room for 15 days of the platform's series at its scrape interval, with headroom; gp3 volumes grow online. */
export const PROMETHEUS_VOLUME_SIZE = '50Gi';

/** prometheus.yml and the rule files, as YAML text: the Helm values carry these, and promtool checks them. */
export function prometheusFiles(catalog: PlatformQuery, config: ResolvedK8sConfig): Record<string, string> {
  return {
    [PROMETHEUS_FILES.config]: Yaml.stringify(prometheusConfig(config)),
    [PROMETHEUS_FILES.recording]: Yaml.stringify(recordingRules(catalog)),
    [PROMETHEUS_FILES.alerting]: Yaml.stringify(alertingRules(catalog, config)),
  };
}

/** Values of the prometheus chart: our configuration and rules, kube-state-metrics on, node exporter and push gateway off. */
export function prometheusValues(catalog: PlatformQuery, config: ResolvedK8sConfig): Record<string, unknown> {
  return {
    serverFiles: {
      [PROMETHEUS_FILES.config]: prometheusConfig(config),
      [PROMETHEUS_FILES.recording]: recordingRules(catalog),
      [PROMETHEUS_FILES.alerting]: alertingRules(catalog, config),
    },
    // Fifteen days of samples survive a restart and a node replacement: an encrypted EBS gp3 volume of the Cluster
    // stack's default StorageClass. One writer, so the pod is replaced, not rolled (a volume attaches to one node).
    server: {
      retention: '15d',
      // The chart's default flag, and exemplar storage: the trace ids the latency histograms carry are kept and
      // answered with queries, so Grafana can link a latency panel to its traces.
      extraFlags: ['web.enable-lifecycle', 'enable-feature=exemplar-storage'],
      persistentVolume: {
        enabled: true,
        storageClass: PERSISTENT_STORAGE_CLASS,
        size: PROMETHEUS_VOLUME_SIZE,
        accessModes: ['ReadWriteOnce'],
      },
      strategy: { type: 'Recreate' },
    },
    // Silences and notification state survive a restart.
    alertmanager: {
      enabled: true,
      persistence: { enabled: true, storageClass: PERSISTENT_STORAGE_CLASS, size: '2Gi' },
    },
    'kube-state-metrics': { enabled: true },
    // Needs host networking and host PID, which the monitoring namespace's Pod Security level refuses.
    'prometheus-node-exporter': { enabled: false },
    'prometheus-pushgateway': { enabled: false },
  };
}

/**
 * Values of the grafana chart: the Prometheus and Tempo data sources and the dashboard sidecar on our label. A latency
 * panel's exemplar (a `trace_id` the service kit attached to a bucket) links to that trace in Tempo.
 */
export function grafanaValues(config: ResolvedK8sConfig): Record<string, unknown> {
  return {
    sidecar: {
      dashboards: {
        enabled: true,
        label: DASHBOARD_LABEL,
        labelValue: '1',
        searchNamespace: config.monitoringNamespace,
      },
    },
    datasources: {
      'datasources.yaml': {
        apiVersion: 1,
        datasources: [
          {
            name: 'Prometheus',
            uid: PROMETHEUS_DATASOURCE.uid,
            type: PROMETHEUS_DATASOURCE.type,
            access: 'proxy',
            url: `http://prometheus-server.${config.monitoringNamespace}.svc`,
            isDefault: true,
            jsonData: {
              exemplarTraceIdDestinations: [{ name: EXEMPLAR_TRACE_ID_LABEL, datasourceUid: TEMPO_DATASOURCE.uid }],
            },
          },
          {
            name: 'Tempo',
            uid: TEMPO_DATASOURCE.uid,
            type: TEMPO_DATASOURCE.type,
            access: 'proxy',
            url: tempoQueryUrl(),
          },
        ],
      },
    },
    persistence: { enabled: false },
    testFramework: { enabled: false },
  };
}
