import {
  clusterAddressing,
  DEPLOY_VALUES,
  KUBERNETES_NAMESPACE,
  ownsPostgres,
  type PlatformQuery,
  RESULTS_DATABASE,
  SECRET_JWT_SIGNING_KEY,
  type ServiceSpec,
  serviceWiring,
  usesKafka,
} from '../lib/platform';
import type { ResolvedK8sConfig } from './config';

/** The EKS Pod Identity agent on every node: pods fetch their role's credentials here. */
export const POD_IDENTITY_AGENT = { cidr: '169.254.170.23/32', port: 80 } as const;
/** Where every container may write: an emptyDir, as the root filesystem is read-only. */
export const TMP_DIR = '/tmp';
/** The local-platform data folder; unused when DATABASE_URL is set, but the services parse it. */
export const DATA_DIR = `${TMP_DIR}/data`;
export const PART_OF = 'shopfront';
/**
 * Node disk a service's pod may use: the /tmp emptyDir (at most 256 MiB) plus its container log. Not a fact of the
 * catalog, which sizes CPU and memory only; the same for every service.
 */
export const EPHEMERAL_STORAGE = { request: '128Mi', limit: '512Mi', tmpSizeLimit: '256Mi' } as const;

/** The environment variable each platform secret of the catalog is exposed as. */
export const SECRET_VARIABLES: Readonly<Record<string, string>> = { [SECRET_JWT_SIGNING_KEY]: 'JWT_SECRET' };

/** Variables a service reads that are deliberately unset in Kubernetes, with the reason. */
export const UNSET_IN_KUBERNETES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'user-service': {
    BOOTSTRAP_ADMIN_EMAIL: 'a first administrator is created by an operator, never from a manifest',
    BOOTSTRAP_ADMIN_PASSWORD: 'a password in a manifest would be a plain-text secret in Git',
  },
};

export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

/**
 * Pod Security Admission labels pinned to the cluster's version: `enforce` rejects, `audit` and `warn` (default: the
 * same level) report what a stricter level would reject.
 */
export function podSecurityLabels(
  enforce: PodSecurityLevel,
  kubernetesVersion: string,
  auditAndWarn: PodSecurityLevel = enforce,
): Record<string, string> {
  const version = `v${kubernetesVersion}`;
  return {
    'pod-security.kubernetes.io/enforce': enforce,
    'pod-security.kubernetes.io/enforce-version': version,
    'pod-security.kubernetes.io/audit': auditAndWarn,
    'pod-security.kubernetes.io/audit-version': version,
    'pod-security.kubernetes.io/warn': auditAndWarn,
    'pod-security.kubernetes.io/warn-version': version,
  };
}

export const selectorLabels = (service: string): Record<string, string> => ({ 'app.kubernetes.io/name': service });

export const serviceLabels = (service: string): Record<string, string> => ({
  ...selectorLabels(service),
  'app.kubernetes.io/part-of': PART_OF,
});

export const databaseSecretName = (service: string): string => `${service}-database`;
export const DATABASE_URL_KEY = 'DATABASE_URL';
/** The results database on Cloud SQL, for its reader (lib/platform `RESULTS_DATABASE`), where the link is configured. */
export const ANALYTICS_DATABASE_URL_KEY = 'ANALYTICS_DATABASE_URL';
export const RESULTS_DATABASE_SECRET = 'analytics-database';

export interface SecretReference {
  readonly variable: string;
  readonly secretName: string;
  readonly key: string;
}

export interface ContainerEnvironment {
  /** Non-secret variables; they go to the service's ConfigMap. */
  readonly plain: Readonly<Record<string, string>>;
  /** Variables from Kubernetes Secrets that External Secrets Operator keeps in sync with Secrets Manager. */
  readonly secrets: readonly SecretReference[];
  /**
   * Variables from the deploy-values ConfigMap the Cluster stack fills (lib/platform `DEPLOY_VALUES`): required
   * references, so a pod does not start on a cluster that lacks them.
   */
  readonly deployValues: readonly string[];
}

/**
 * Every variable a service's container gets: the platform wiring (ports, peers at their cluster DNS names, topics,
 * consumer groups) plus what the cluster decides (log level, region, secrets) and what the deployment knows (the
 * brokers). Settings a service has a
 * default for are not repeated here: the default in the service's configuration schema is what runs.
 */
export function containerEnvironment(
  catalog: PlatformQuery,
  service: ServiceSpec,
  config: ResolvedK8sConfig,
): ContainerEnvironment {
  const plain: Record<string, string> = {
    LOG_LEVEL: config.logLevel,
    // Every span's `deployment.environment.name`.
    DEPLOYMENT_ENVIRONMENT: config.environment.name,
    ...serviceWiring(catalog, service, clusterAddressing(KUBERNETES_NAMESPACE)),
  };
  if (ownsPostgres(service)) plain.DATA_DIR = DATA_DIR;
  const deployValues: string[] = [];
  if (usesKafka(service)) {
    deployValues.push(DEPLOY_VALUES.kafkaBrokersKey);
    // MSK IAM authentication signs with the Pod Identity credentials, for the cluster's region.
    plain.KAFKA_MSK_IAM_REGION = config.region;
  }
  const reserved = new Set([
    ...Object.keys(plain),
    ...deployValues,
    DATABASE_URL_KEY,
    ANALYTICS_DATABASE_URL_KEY,
    ...Object.values(SECRET_VARIABLES),
  ]);
  for (const [variable, value] of Object.entries(config.serviceSettings[service.name] ?? {})) {
    if (reserved.has(variable)) {
      throw new Error(
        `'serviceSettings[${service.name}].${variable}' must be a setting of the service, not a variable the platform sets (${[...reserved].sort().join(', ')}), got '${value}'`,
      );
    }
    plain[variable] = value;
  }

  const secrets: SecretReference[] = [];
  if (ownsPostgres(service)) {
    secrets.push({ variable: DATABASE_URL_KEY, secretName: databaseSecretName(service.name), key: DATABASE_URL_KEY });
  }
  if (config.resultsDatabase && service.name === RESULTS_DATABASE.reader) {
    secrets.push({
      variable: ANALYTICS_DATABASE_URL_KEY,
      secretName: RESULTS_DATABASE_SECRET,
      key: ANALYTICS_DATABASE_URL_KEY,
    });
  }
  for (const name of service.secrets ?? []) {
    const variable = SECRET_VARIABLES[name];
    if (!variable) {
      throw new Error(
        `'services[${service.name}].secrets' must name a secret with a variable in SECRET_VARIABLES (${Object.keys(SECRET_VARIABLES).join(', ')}), got '${name}'`,
      );
    }
    secrets.push({ variable, secretName: name, key: variable });
  }
  return { plain, secrets, deployValues };
}
