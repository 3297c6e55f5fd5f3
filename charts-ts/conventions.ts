import {
  type EnvironmentSpec,
  KUBERNETES_NAMESPACE,
  type PlatformQuery,
  type PortSpec,
  SECRET_JWT_SIGNING_KEY,
  type ServiceSpec,
} from '../lib/platform';
import type { ResolvedK8sConfig } from './config';

/** PostgreSQL's port on RDS; the catalog has no port for it because it is not a component of the platform. */
export const POSTGRES_PORT = 5432;
/** MSK's IAM/TLS listener (infra/aws/constructs/kafka-cluster.ts `MSK_IAM_TLS_PORT`; a test holds them equal). */
export const KAFKA_IAM_TLS_PORT = 9098;
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

/**
 * Settings that are not facts of the platform (so not in the catalog) but that a service reads. They are set
 * explicitly so that what runs in the cluster is reviewable here, not implied by a default in code.
 */
export const SERVICE_SETTINGS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'api-gateway': {
    UPSTREAM_TIMEOUT_MS: '2000',
    CREATE_ORDER_TIMEOUT_MS: '10000',
    CREDENTIALS_TIMEOUT_MS: '10000',
    MAX_BODY_BYTES: '16384',
  },
  // 19 MiB is OWASP's argon2id minimum; the catalog's medium resources (512 MiB limit) leave room for bursts.
  'user-service': { TOKEN_TTL_SECONDS: '900', PASSWORD_HASH_MEMORY_KIB: '16384' },
  'product-service': { SEED_DEMO_PRODUCTS: 'false' },
  // A saga lease (60 s) outlasts a step's longest peer call, (2 + 1) x 2000 ms plus backoff, twice over.
  'order-service': {
    DOWNSTREAM_TIMEOUT_MS: '2000',
    DOWNSTREAM_RETRIES: '2',
    OUTBOX_POLL_MS: '200',
    SAGA_RECOVERY_AFTER_MS: '60000',
    SAGA_RECOVERY_POLL_MS: '5000',
  },
  'payment-service': { SLOW_TOKEN_DELAY_MS: '3000' },
};

/** Variables a service reads that are deliberately unset in Kubernetes, with the reason. */
export const UNSET_IN_KUBERNETES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'user-service': {
    BOOTSTRAP_ADMIN_EMAIL: 'a first administrator is created by an operator, never from a manifest',
    BOOTSTRAP_ADMIN_PASSWORD: 'a password in a manifest would be a plain-text secret in Git',
  },
};

/**
 * `shopfront-<env>-<name>`: how the AWS app names what it creates (infra/aws/config.ts `resourceName`; a test
 * holds them equal). Charts do not import infra: both sides depend on lib only.
 */
export const awsResourceName = (env: EnvironmentSpec, name: string): string => `shopfront-${env.name}-${name}`;

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

const upperSnake = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

/** `GRPC_PORT`, `HTTP_PORT`, `METRICS_PORT`: one variable per catalog port, named after the port. */
export const portVariable = (port: PortSpec): string => `${upperSnake(port.name)}_PORT`;

/** `user-service` -> `USER_SERVICE_ADDR`; `analytics` -> `ANALYTICS_SERVICE_ADDR`. */
export const peerVariable = (peer: string): string => `${upperSnake(peer.replace(/-service$/, ''))}_SERVICE_ADDR`;

export const topicVariable = (topic: string): string => `KAFKA_TOPIC_${upperSnake(topic)}`;
export const consumerGroupVariable = (topic: string): string => `KAFKA_CONSUMER_GROUP_${upperSnake(topic)}`;

export function grpcPort(service: ServiceSpec): PortSpec | undefined {
  return service.ports.find((p) => p.protocol === 'grpc');
}

/** The HTTP port that serves /livez, /readyz and /metrics: `http` or, on gRPC-only services, `metrics`. */
export function httpPort(service: ServiceSpec): PortSpec {
  const port = service.ports.find((p) => p.name === 'metrics') ?? service.ports.find((p) => p.protocol === 'http');
  if (!port) {
    throw new Error(
      `'services[${service.name}].ports' must include an http port (for /livez, /readyz and /metrics), got ${JSON.stringify(service.ports.map((p) => p.name))}`,
    );
  }
  return port;
}

/** The in-cluster address of a peer's gRPC port. */
export function peerAddress(catalog: PlatformQuery, caller: ServiceSpec, peer: string): string {
  const port = grpcPort(catalog.service(peer));
  if (!port) {
    throw new Error(`'services[${caller.name}].calls' must name services with a grpc port, got '${peer}' (none)`);
  }
  return `${peer}.${KUBERNETES_NAMESPACE}.svc.cluster.local:${port.port}`;
}

export const databaseSecretName = (service: string): string => `${service}-database`;
export const DATABASE_URL_KEY = 'DATABASE_URL';

export interface SecretReference {
  readonly variable: string;
  readonly secretName: string;
  readonly key: string;
}

export interface ServiceEnvironment {
  /** Non-secret variables; they go to the service's ConfigMap. */
  readonly plain: Readonly<Record<string, string>>;
  /** Variables from Kubernetes Secrets that External Secrets Operator keeps in sync with Secrets Manager. */
  readonly secrets: readonly SecretReference[];
}

export function ownsPostgres(service: ServiceSpec): boolean {
  return service.owns.some((d) => d.kind === 'postgres');
}

export function usesKafka(service: ServiceSpec): boolean {
  return service.produces.length > 0 || service.consumes.length > 0;
}

/** Every variable a service's container gets, derived from the catalog and the configuration. */
export function serviceEnvironment(
  catalog: PlatformQuery,
  service: ServiceSpec,
  config: ResolvedK8sConfig,
): ServiceEnvironment {
  const plain: Record<string, string> = { LOG_LEVEL: config.logLevel };
  for (const port of service.ports) plain[portVariable(port)] = String(port.port);
  for (const peer of service.calls) plain[peerVariable(peer)] = peerAddress(catalog, service, peer);
  if (ownsPostgres(service)) plain.DATA_DIR = DATA_DIR;
  if (usesKafka(service)) {
    plain.KAFKA_BROKERS = config.kafkaBootstrapBrokers;
    // MSK IAM authentication signs with the Pod Identity credentials, for the cluster's region.
    plain.KAFKA_MSK_IAM_REGION = config.environment.region;
    for (const topic of [...service.produces, ...service.consumes])
      plain[topicVariable(topic)] = catalog.topic(topic).name;
    for (const topic of service.consumes)
      plain[consumerGroupVariable(topic)] = catalog.consumerGroup(service.name, topic);
  }
  Object.assign(plain, SERVICE_SETTINGS[service.name] ?? {});

  const secrets: SecretReference[] = [];
  if (ownsPostgres(service)) {
    secrets.push({ variable: DATABASE_URL_KEY, secretName: databaseSecretName(service.name), key: DATABASE_URL_KEY });
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
  return { plain, secrets };
}
