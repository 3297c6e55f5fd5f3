import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  ADDONS_FOLDER,
  DEPLOY_VALUES,
  DEPLOYMENT,
  gitopsPath,
  LOG_SHIPPER,
  type PlatformQuery,
  TRACE_COLLECTOR,
} from '../../lib/platform';
import type { ResolvedK8sConfig } from '../config';
import { Application, AppProject, annotateSyncWaves } from '../constructs/argocd';
import { GRAFANA_CHART, grafanaValues, PROMETHEUS_CHART, prometheusValues } from './observability-chart';

/** Folders of `deploy/k8s/<env>/`, each synced by one Application. */
export const FOLDERS = {
  /** Synced by the Cluster stack's root Application `shopfront-<env>` (namespace shopfront). */
  platform: '',
  /** Synced by the Cluster stack's add-ons root Application `shopfront-<env>-addons` (namespace argocd). */
  apps: ADDONS_FOLDER,
  observability: 'observability',
  logging: 'logging',
  tracing: 'tracing',
} as const;

export interface GitOpsChartProps {
  readonly catalog: PlatformQuery;
  readonly config: ResolvedK8sConfig;
}

export const envPath = (config: ResolvedK8sConfig, folder: string): string =>
  gitopsPath(config.environment.name, folder);

/**
 * The add-ons of one environment, rendered into `apps/` and synced by the Cluster stack's add-ons root Application
 * (`shopfront-<env>-addons`, in its AppProject `shopfront-<env>-bootstrap`):
 * - AppProject `shopfront-<env>-addons`: this repository and the two pinned Helm repositories, namespaces monitoring,
 *   logging and tracing, cluster kinds Namespace, ClusterRole, ClusterRoleBinding;
 * - one child Application per component group: observability (Prometheus, Grafana, dashboards), logging and tracing
 *   (the OpenTelemetry Collector and Tempo).
 * This repository is named `DEPLOY_VALUES.repository` here, always first (`sourceRepos[0]`, `sources[0]`): the root
 * Application replaces it with the repository and revision the Cluster stack was deployed with.
 */
export class GitOpsChart extends Chart {
  readonly project: string;

  constructor(scope: Construct, id: string, props: GitOpsChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { catalog, config } = props;
    const env = config.environment.name;
    const repo = { repoURL: DEPLOY_VALUES.repository, targetRevision: DEPLOYMENT.gitRevision };
    this.project = `shopfront-${env}-addons`;

    new AppProject(this, 'AddonsProject', {
      name: this.project,
      description: `Shopfront ${env}: observability, log shipping and tracing`,
      sourceRepos: [DEPLOY_VALUES.repository, PROMETHEUS_CHART.repoURL, GRAFANA_CHART.repoURL],
      namespaces: [config.monitoringNamespace, LOG_SHIPPER.namespace, TRACE_COLLECTOR.namespace],
      clusterResources: [
        { group: '', kind: 'Namespace' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
      ],
    });
    new Application(this, 'Observability', {
      name: `shopfront-${env}-observability`,
      project: this.project,
      namespace: config.monitoringNamespace,
      sources: [
        { ...repo, path: envPath(config, FOLDERS.observability) },
        {
          repoURL: PROMETHEUS_CHART.repoURL,
          chart: PROMETHEUS_CHART.chart,
          targetRevision: PROMETHEUS_CHART.version,
          helm: { releaseName: 'prometheus', valuesObject: prometheusValues(catalog, config) },
        },
        {
          repoURL: GRAFANA_CHART.repoURL,
          chart: GRAFANA_CHART.chart,
          targetRevision: GRAFANA_CHART.version,
          helm: { releaseName: 'grafana', valuesObject: grafanaValues(config) },
        },
      ],
      // Dashboards and rules are large: server-side apply has no last-applied-configuration annotation to outgrow.
      syncOptions: ['ServerSideApply=true'],
    });
    new Application(this, 'Logging', {
      name: `shopfront-${env}-logging`,
      project: this.project,
      namespace: LOG_SHIPPER.namespace,
      sources: [{ ...repo, path: envPath(config, FOLDERS.logging) }],
    });
    new Application(this, 'Tracing', {
      name: `shopfront-${env}-tracing`,
      project: this.project,
      namespace: TRACE_COLLECTOR.namespace,
      sources: [{ ...repo, path: envPath(config, FOLDERS.tracing) }],
    });
    annotateSyncWaves(this);
  }
}
