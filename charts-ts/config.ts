import {
  analyticsLinkConfigured,
  DEPLOYMENT,
  type DeploymentSettings,
  type EnvironmentName,
  type EnvironmentSpec,
  formatIssue,
  shop,
} from '../lib/platform';

/**
 * What the Kubernetes manifests need beyond the catalog. It is a value in the repository, never read from
 * the environment of the machine that synthesizes, so every machine renders the same bytes.
 */
export interface K8sConfig {
  /** Region of Secrets Manager and of MSK's IAM signing. @default - the catalog environment's region */
  readonly region?: string;
  /** Kubernetes minor version of the cluster: Pod Security labels and schema validation follow it. @default '1.34' */
  readonly kubernetesVersion: string;
  /** pino level of every service. @default 'info' */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** The uid and gid every service runs as; the image's user (deploy/docker/Dockerfile) has the same. @default 10001 */
  readonly runAsUser: number;
  /** Namespace of Prometheus and Grafana; it alone may scrape the services' metrics ports. @default 'monitoring' */
  readonly monitoringNamespace: string;
  /** Service level objectives the alerts enforce. */
  /**
   * Values of a service's settings that differ from the defaults in its configuration schema, by service and
   * variable (`{ 'order-service': { DOWNSTREAM_TIMEOUT_MS: '3000' } }`). Wiring, secrets and the cluster's own
   * variables cannot be set here. @default - none: every service runs on its schema's defaults
   */
  readonly serviceSettings: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly slo: {
    /** p99 latency; the seed's load test requires p(99) < 1000 ms. @default 1 */
    readonly p99LatencySeconds: number;
    /** Share of requests answered with a server error. @default 0.01 */
    readonly maxErrorRatio: number;
    /** Records a consumer group may lag behind on a topic. @default 1000 */
    readonly maxConsumerLag: number;
  };
}

/** Per-environment changes to the defaults: a log level, a service setting, ... */
export type K8sConfigOverrides = Partial<Record<EnvironmentName, Partial<K8sConfig>>>;

/** The configuration after defaults: every value the charts read. */
export interface ResolvedK8sConfig extends Required<K8sConfig> {
  readonly environment: EnvironmentSpec;
  /**
   * Whether the environment's analytics link is configured (lib/platform `analyticsLinkConfigured`): then the API
   * gateway reads the results database on Cloud SQL, with `ANALYTICS_DATABASE_URL` from its AWS secret. The manifests
   * carry no address: it is in the secret.
   */
  readonly resultsDatabase: boolean;
  /** The results database's server CA (PEM), which the gateway verifies the server with, where `resultsDatabase`. */
  readonly resultsDatabaseServerCa?: string;
}

export const DEFAULT_K8S_CONFIG: K8sConfig = {
  kubernetesVersion: '1.34',
  logLevel: 'info',
  runAsUser: 10001,
  monitoringNamespace: 'monitoring',
  serviceSettings: {},
  slo: { p99LatencySeconds: 1, maxErrorRatio: 0.01, maxConsumerLag: 1000 },
};

/**
 * The repository's configuration of the rendered manifests, per environment (then `npm run synth:k8s` and commit).
 * What only a deployment knows (account, image tag, brokers, certificate, host, repository) is not here: the Cluster
 * stack's root Applications pass it to the cluster (lib/platform `DEPLOY_VALUES`).
 */
export const K8S_CONFIG_OVERRIDES: K8sConfigOverrides = {};

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Applies defaults and overrides for one environment; throws naming the field, the value and what is allowed. */
export function resolveK8sConfig(
  environment: EnvironmentSpec,
  overrides: K8sConfigOverrides = K8S_CONFIG_OVERRIDES,
  defaults: K8sConfig = DEFAULT_K8S_CONFIG,
  deployment: DeploymentSettings = DEPLOYMENT,
): ResolvedK8sConfig {
  const merged: K8sConfig = { ...defaults, ...overrides[environment.name] };
  const region = merged.region ?? environment.region;
  const problems: string[] = [];
  const check = (ok: boolean, field: string, value: unknown, allowed: string): void => {
    if (!ok) problems.push(formatIssue({ field, value, allowed }));
  };
  check(/^[a-z]{2}(-[a-z]+)+-\d$/.test(region), 'region', region, 'an AWS region name such as eu-west-1');
  check(/^1\.\d{2}$/.test(merged.kubernetesVersion), 'kubernetesVersion', merged.kubernetesVersion, 'like 1.34');
  check(
    Number.isInteger(merged.runAsUser) && merged.runAsUser >= 1000,
    'runAsUser',
    merged.runAsUser,
    'a non-root uid >= 1000',
  );
  const known = shop.containers.map((s) => s.name);
  for (const [service, settings] of Object.entries(merged.serviceSettings)) {
    check(known.includes(service), 'serviceSettings', service, `a container of the catalog (${known.join(', ')})`);
    for (const [variable, value] of Object.entries(settings)) {
      check(
        /^[A-Z][A-Z0-9_]{0,127}$/.test(variable) && typeof value === 'string',
        `serviceSettings[${service}].${variable}`,
        value,
        'a string value of an UPPER_SNAKE variable',
      );
    }
  }
  check(
    DNS_LABEL.test(merged.monitoringNamespace),
    'monitoringNamespace',
    merged.monitoringNamespace,
    'a DNS-1123 label',
  );
  if (problems.length > 0) {
    throw new Error(`invalid Kubernetes configuration for ${environment.name}:\n  - ${problems.join('\n  - ')}`);
  }
  const linked = deployment.environments[environment.name];
  const resultsDatabase = analyticsLinkConfigured(linked);
  const resultsDatabaseServerCa = resultsDatabase ? linked.resultsDatabaseServerCa : undefined;
  return { ...merged, region, environment, resultsDatabase, resultsDatabaseServerCa };
}
