import {
  type CatalogIssue,
  checkAwsAccount,
  checkGitRepoUrl,
  DEPLOYMENT,
  type DeploymentSettings,
  type EnvironmentName,
  type EnvironmentSpec,
  formatIssue,
  MSK_IAM_TLS_PORT,
  shop,
} from '../lib/platform';

/**
 * What the Kubernetes manifests need beyond the catalog. It is a value in the repository, never read from
 * the environment of the machine that synthesizes, so every machine renders the same bytes.
 */
export interface K8sConfig {
  /**
   * AWS account of the ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com`).
   * @default - the environment's account in lib/platform's deployment settings, else '000000000000' (placeholder)
   */
  readonly awsAccount: string;
  /** Region of the registry and of Secrets Manager. @default - the catalog environment's region */
  readonly region?: string;
  /** Tag of every service image; ECR tags are immutable, so never `latest`. @default - package.json's version */
  readonly imageTag: string;
  /** ACM certificate of the gateway's HTTPS listener. @default - a placeholder ARN in the account and region */
  readonly certificateArn?: string;
  /** Host the public Ingress answers for. @default - any host */
  readonly apiHostname?: string;
  /** Repository ArgoCD syncs from. @default - lib/platform's deployment settings (`DEPLOYMENT.gitRepoUrl`) */
  readonly gitRepoUrl: string;
  /** Branch, tag or commit ArgoCD tracks. @default - lib/platform's deployment settings (`DEPLOYMENT.gitRevision`) */
  readonly gitRevision: string;
  /** Kubernetes minor version of the cluster: Pod Security labels and schema validation follow it. @default '1.34' */
  readonly kubernetesVersion: string;
  /**
   * MSK bootstrap brokers (IAM listener), the Data stack's `KafkaBootstrapBrokersSaslIam` output. It exists only
   * after the first deploy. @default - a `.invalid` placeholder: order-service fails fast until it is set
   */
  readonly kafkaBootstrapBrokers: string;
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

/** Per-environment changes to the defaults: an image tag promoted to prod, the real certificate, ... */
export type K8sConfigOverrides = Partial<Record<EnvironmentName, Partial<K8sConfig>>>;

/** The configuration after defaults: every value the charts read. */
export interface ResolvedK8sConfig extends Required<Omit<K8sConfig, 'apiHostname'>> {
  readonly apiHostname?: string;
  readonly environment: EnvironmentSpec;
  /** `<account>.dkr.ecr.<region>.amazonaws.com` */
  readonly registry: string;
}

const PLACEHOLDER_ACCOUNT = '000000000000';
const DEFAULT_IMAGE_TAG = '0.1.0';

export const DEFAULT_K8S_CONFIG: K8sConfig = {
  awsAccount: PLACEHOLDER_ACCOUNT,
  imageTag: DEFAULT_IMAGE_TAG,
  gitRepoUrl: DEPLOYMENT.gitRepoUrl,
  gitRevision: DEPLOYMENT.gitRevision,
  kubernetesVersion: '1.34',
  kafkaBootstrapBrokers: `msk-bootstrap-brokers.invalid:${MSK_IAM_TLS_PORT}`,
  logLevel: 'info',
  runAsUser: 10001,
  monitoringNamespace: 'monitoring',
  serviceSettings: {},
  slo: { p99LatencySeconds: 1, maxErrorRatio: 0.01, maxConsumerLag: 1000 },
};

/**
 * The repository's configuration of the rendered manifests, per environment. Edit it (and run
 * `npm run synth:k8s`) to promote an image tag or set the real account and certificate.
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
  const account = deployment.environments[environment.name].awsAccount;
  const merged: K8sConfig = {
    ...defaults,
    ...(account === undefined ? {} : { awsAccount: account }),
    ...overrides[environment.name],
  };
  const region = merged.region ?? environment.region;
  const problems: string[] = [];
  const check = (ok: boolean, field: string, value: unknown, allowed: string): void => {
    if (!ok) problems.push(formatIssue({ field, value, allowed }));
  };
  const report = (issue: CatalogIssue | undefined): void => {
    if (issue) problems.push(formatIssue(issue));
  };
  report(checkAwsAccount('awsAccount', merged.awsAccount));
  check(
    /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(merged.imageTag) && merged.imageTag !== 'latest',
    'imageTag',
    merged.imageTag,
    "an immutable image tag (not 'latest')",
  );
  check(/^[a-z]{2}(-[a-z]+)+-\d$/.test(region), 'region', region, 'an AWS region name such as eu-west-1');
  report(checkGitRepoUrl('gitRepoUrl', merged.gitRepoUrl));
  check(/^1\.\d{2}$/.test(merged.kubernetesVersion), 'kubernetesVersion', merged.kubernetesVersion, 'like 1.34');
  check(
    /^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/.test(merged.kafkaBootstrapBrokers),
    'kafkaBootstrapBrokers',
    merged.kafkaBootstrapBrokers,
    'a comma-separated list of host:port',
  );
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
  const certificateArn =
    merged.certificateArn ??
    `arn:aws:acm:${region}:${merged.awsAccount}:certificate/00000000-0000-0000-0000-000000000000`;
  check(/^arn:aws[a-z-]*:acm:/.test(certificateArn), 'certificateArn', certificateArn, 'an ACM certificate ARN');
  if (problems.length > 0) {
    throw new Error(`invalid Kubernetes configuration for ${environment.name}:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    ...merged,
    region,
    certificateArn,
    environment,
    registry: `${merged.awsAccount}.dkr.ecr.${region}.amazonaws.com`,
  };
}
