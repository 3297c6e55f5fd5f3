import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { LOG_SHIPPER, type PlatformQuery } from '../../lib/platform';
import type { ResolvedK8sConfig } from '../config';
import { Application, AppProject, ARGOCD_NAMESPACE } from '../constructs/argocd';
import { GRAFANA_CHART, grafanaValues, PROMETHEUS_CHART, prometheusValues } from './observability-chart';

/** Folders of `deploy/k8s/<env>/`, each synced by one Application. */
export const FOLDERS = {
  /** Synced by the Cluster stack's root Application `shopfront-<env>` (namespace shopfront). */
  platform: '',
  apps: 'apps',
  observability: 'observability',
  logging: 'logging',
} as const;

export interface GitOpsChartProps {
  readonly catalog: PlatformQuery;
  readonly config: ResolvedK8sConfig;
}

export const envPath = (config: ResolvedK8sConfig, folder: string): string =>
  ['deploy/k8s', config.environment.name, folder].filter(Boolean).join('/');

/**
 * The add-ons' app-of-apps of one environment, rendered into `apps/`:
 * - AppProject `shopfront-<env>-bootstrap`: this repository only, namespace argocd only, kinds Application and
 *   AppProject only; Application `shopfront-<env>-addons` in it syncs `apps/` itself (applied once by hand, then
 *   Argo CD keeps it, see the README);
 * - AppProject `shopfront-<env>-addons`: this repository and the two pinned Helm repositories, namespaces monitoring
 *   and logging, cluster kinds Namespace, ClusterRole, ClusterRoleBinding;
 * - one child Application per component group: observability (Prometheus, Grafana, dashboards) and logging.
 * The platform group is the Cluster stack's root Application `shopfront-<env>`, whose AppProject allows only
 * namespace shopfront: that is why the add-ons need their own project and bootstrap.
 */
export class GitOpsChart extends Chart {
  readonly project: string;

  constructor(scope: Construct, id: string, props: GitOpsChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { catalog, config } = props;
    const env = config.environment.name;
    const repo = { repoURL: config.gitRepoUrl, targetRevision: config.gitRevision };
    const bootstrap = `shopfront-${env}-bootstrap`;
    this.project = `shopfront-${env}-addons`;

    new AppProject(this, 'BootstrapProject', {
      name: bootstrap,
      description: `Shopfront ${env}: the add-ons' app-of-apps (Applications and AppProjects in ${ARGOCD_NAMESPACE} only)`,
      sourceRepos: [config.gitRepoUrl],
      namespaces: [ARGOCD_NAMESPACE],
      namespaceResources: [
        { group: 'argoproj.io', kind: 'Application' },
        { group: 'argoproj.io', kind: 'AppProject' },
      ],
    });
    new Application(this, 'AddonsRoot', {
      name: `shopfront-${env}-addons`,
      project: bootstrap,
      namespace: ARGOCD_NAMESPACE,
      sources: [{ ...repo, path: envPath(config, FOLDERS.apps) }],
    });

    new AppProject(this, 'AddonsProject', {
      name: this.project,
      description: `Shopfront ${env}: observability and log shipping`,
      sourceRepos: [config.gitRepoUrl, PROMETHEUS_CHART.repoURL, GRAFANA_CHART.repoURL],
      namespaces: [config.monitoringNamespace, LOG_SHIPPER.namespace],
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
  }
}
