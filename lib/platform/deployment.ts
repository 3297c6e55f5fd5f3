import { X509Certificate } from 'node:crypto';
import type { EnvironmentName, EnvironmentSpec } from './types';
import { type CatalogIssue, formatIssue } from './validate';

/**
 * What the AWS app (infra/aws), the GCP app (infra/gcp) and the Kubernetes manifests (charts-ts) share beyond the
 * catalog: how they name what they create, the ports of the managed services they open, and where each
 * environment deploys to. Values in the repository, never read from the synthesizing machine.
 */

/** The name prefix of every stack and named resource, on both clouds. */
export const PRODUCT = 'shopfront';

/**
 * `shopfront-<env>-<name>`: what an environment creates, on either cloud. The manifests name AWS resources (Secrets
 * Manager secrets, the log group) with it too, so both sides agree without importing each other.
 */
export const resourceName = (env: EnvironmentSpec, name: string): string => `${PRODUCT}-${env.name}-${name}`;

/**
 * Fluent Bit, which ships every container's log to CloudWatch Logs: the manifests deploy it under this
 * ServiceAccount, and the AWS Cluster stack binds the Pod Identity that may write its log group to the same one.
 */
export const LOG_SHIPPER = { namespace: 'logging', serviceAccount: 'fluent-bit' } as const;

/**
 * The OpenTelemetry Collector every pod sends its spans to (OTLP), and Grafana Tempo, where the collector keeps the
 * traces its tail sampling chose: both in one namespace, which the platform's pods may reach on the OTLP ports only.
 * The manifests deploy them under these names; every service's wiring names the collector's OTLP/HTTP endpoint.
 */
export const TRACE_COLLECTOR = {
  namespace: 'tracing',
  serviceAccount: 'otel-collector',
  /** OTLP over gRPC and over HTTP: the collector's standard ports. */
  otlpGrpcPort: 4317,
  otlpHttpPort: 4318,
  /** The health_check extension: the pod's probes and the VPC load balancer's health checks. */
  healthPort: 13133,
} as const;

/**
 * The target group through which clients outside the cluster (the notification Lambda) reach the collector's
 * OTLP/HTTP port: the AWS Cluster stack creates it behind an internal load balancer, and the manifests bind the
 * collector's pods to it by this name (`shopfront-<env>-otlp`, at most 32 characters).
 */
export const traceIngressTargetGroupName = (env: EnvironmentSpec): string => resourceName(env, 'otlp');

/** Grafana Tempo, beside the collector: it receives OTLP/gRPC from the collector and answers Grafana's queries. */
export const TRACE_STORE = {
  namespace: TRACE_COLLECTOR.namespace,
  serviceAccount: 'tempo',
  otlpGrpcPort: 4317,
  /** Tempo's HTTP API (queries by trace id, search, /metrics, /ready). */
  httpPort: 3200,
} as const;

/** `http://otel-collector.tracing.svc.cluster.local:4318`: what every service's `OTEL_EXPORTER_OTLP_ENDPOINT` holds. */
export const traceCollectorEndpoint = (): string =>
  `http://${TRACE_COLLECTOR.serviceAccount}.${TRACE_COLLECTOR.namespace}.svc.cluster.local:${TRACE_COLLECTOR.otlpHttpPort}`;

/** The CloudWatch Logs group of every container's log: `/shopfront/<env>/containers`. */
export const containerLogGroupName = (env: EnvironmentSpec): string =>
  `/${resourceName(env, 'containers').replace(/-/g, '/')}`;

/**
 * The StorageClass of persistent volumes: encrypted EBS gp3, created by the Cluster stack with the EBS CSI driver
 * and the cluster's default; the manifests' volume claims (Prometheus, Alertmanager) name it.
 */
export const PERSISTENT_STORAGE_CLASS = 'gp3';

// Ports of managed services the platform reaches but does not run, so the catalog has no component for them.
/** PostgreSQL on RDS and Cloud SQL. */
export const POSTGRES_PORT = 5432;
/** MSK's listener for IAM-authenticated clients over TLS: the services and the notification Lambda. */
export const MSK_IAM_TLS_PORT = 9098;
/** MSK's listener for SASL/SCRAM clients over TLS: the Flink job on Dataproc, through the VPN. */
export const MSK_SCRAM_TLS_PORT = 9096;

/**
 * The private link between an environment's AWS VPC and its analytics VPC on Google Cloud (HA VPN to Site-to-Site
 * VPN, BGP). Both apps build their side from these values and the catalog's ranges (`network.cidr`,
 * `gcp.network.subnetCidr`, `gcp.network.vpnInsideCidrs`), so the two sides cannot disagree.
 */
export const CROSS_CLOUD_LINK = {
  /** BGP ASN of the AWS virtual private gateway. */
  awsAsn: 64512,
  /** BGP ASN of the Cloud Router behind the HA VPN gateway: the AWS customer gateways carry it. */
  gcpAsn: 65010,
  /** The Kafka principal of the Flink job on MSK's SCRAM listener (`User:<name>`). */
  scramUser: 'analytics',
} as const;

/**
 * What the Cloud Router announces to AWS over BGP, and why: the Dataproc subnet (the Flink job, MSK's SCRAM client)
 * and the Private Service Access range (Cloud SQL's private addresses, read by the API gateway on EKS). The AWS side
 * routes and admits exactly these ranges; nothing else of the analytics VPC is reachable from AWS.
 */
export const gcpAdvertisedRanges = (
  env: EnvironmentSpec,
): { readonly range: string; readonly description: string }[] => [
  { range: env.gcp.network.subnetCidr, description: 'Dataproc subnet (Flink job to MSK)' },
  { range: env.gcp.network.privateServiceCidr, description: 'Private Service Access (Cloud SQL, read from EKS)' },
];

/**
 * The results database on Cloud SQL (the Flink job's windows) as the API gateway reads it from EKS, through the VPN:
 * its database, the gateway's login and the only role the migrations give that login (SELECT on the windows).
 */
export const RESULTS_DATABASE = {
  /** The database the Flink job writes `analytics_windows` into. */
  database: 'analytics',
  /** The service that reads it (`ANALYTICS_DATABASE_URL`). */
  reader: 'api-gateway',
  /** The reader's Cloud SQL login. */
  readerLogin: 'analytics_gateway',
  /** The role of the migrations (analytics/flink-job/migrations) the login holds, and nothing else. */
  readerRole: 'analytics_reader',
} as const;

/**
 * Where the API gateway's container finds the results database's server CA (the setting `resultsDatabaseServerCa`,
 * mounted from a ConfigMap): the `sslrootcert` of its URL.
 */
export const RESULTS_DATABASE_SERVER_CA = {
  configMap: 'analytics-database-ca',
  key: 'server-ca.pem',
  directory: '/etc/shopfront/analytics-database',
  path: '/etc/shopfront/analytics-database/server-ca.pem',
} as const;

/**
 * The gateway's `ANALYTICS_DATABASE_URL`, as External Secrets renders it from the login's secret. `verify-ca` with
 * libpq's meaning (`uselibpqcompat=true`; without it node-postgres treats `verify-ca` as `verify-full`): TLS, the
 * server's chain verified against the instance's own CA (`sslrootcert`), its name not checked, since Cloud SQL's
 * certificate names the instance, not the private address the gateway connects to. The password is URL-escaped.
 */
export const RESULTS_DATABASE_URL_TEMPLATE = `postgres://{{ .username }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .dbname }}?sslmode=verify-ca&uselibpqcompat=true&sslrootcert=${RESULTS_DATABASE_SERVER_CA.path}`;

/**
 * The Secrets Manager secret of the gateway's results-database login: `{"username","password","host","port","dbname"}`,
 * the password generated by the AWS Data stack; External Secrets turns it into `ANALYTICS_DATABASE_URL`, and the GCP
 * stack takes the password as the write-only variable `results_db_reader_password`.
 */
export const resultsReaderSecretName = (env: EnvironmentSpec): string => resourceName(env, 'analytics-reader');

/**
 * Whether an environment's analytics link is configured far enough for the gateway to read Cloud SQL: the HA VPN
 * addresses (the tunnels) and the results database's private address (the GCP stack's `ResultsDatabaseAddress`).
 */
export const analyticsLinkConfigured = (deployment: EnvironmentDeployment): boolean =>
  deployment.gcpVpnAddresses !== undefined && deployment.resultsDatabaseAddress !== undefined;

/** The Secrets Manager secret of the job's SCRAM credentials: MSK requires the `AmazonMSK_` prefix. */
export const mskScramSecretName = (env: EnvironmentSpec): string =>
  `AmazonMSK_${resourceName(env, CROSS_CLOUD_LINK.scramUser)}`;

/**
 * The AWS stacks' outputs the GCP stack reads (from the file `cdk deploy --outputs-file` writes): the Data stack's
 * SCRAM brokers and secret; the Network stack's tunnels (n = 1..4: connection 1's two as AWS lists them, then
 * connection 2's, each an outside address with the inside range AWS reports for it) and the Secrets Manager secrets
 * of their pre-shared keys (n = 1..4 in the order of `gcp.network.vpnInsideCidrs`).
 */
export const AWS_LINK_OUTPUTS = {
  scramBrokers: 'KafkaBootstrapBrokersSaslScram',
  scramSecretName: 'KafkaScramSecretName',
  tunnelOutsideIp: (n: number): string => `VpnTunnel${n}OutsideIp`,
  tunnelInsideCidr: (n: number): string => `VpnTunnel${n}InsideCidr`,
  tunnelPreSharedKeySecret: (n: number): string => `VpnTunnel${n}PreSharedKeySecret`,
  resultsReaderSecretName: 'ResultsReaderSecretName',
} as const;

/** The ECR repository of a container service, created by the Data stack: `shopfront/<service>`. */
export const imageRepositoryName = (service: string): string => `${PRODUCT}/${service}`;

/** Where the rendered Kubernetes manifests of an environment live in the repository: the folders Argo CD syncs. */
export const GITOPS_ROOT = 'deploy/k8s';
/** The folder of `deploy/k8s/<env>/` holding the add-ons' Applications and AppProjects (synced into `argocd`). */
export const ADDONS_FOLDER = 'apps';
/** `deploy/k8s/<env>[/<folder>]` */
export const gitopsPath = (environment: string, folder = ''): string =>
  [GITOPS_ROOT, environment, folder].filter(Boolean).join('/');

/**
 * Values only a deployment knows: the account and region of the image registry, the image tag, the MSK broker list,
 * the public host name and its certificate, the repository. The rendered manifests (`deploy/k8s/<env>/`) carry none
 * of them; the root Applications the Cluster stack creates pass them to Kustomize as image overrides and patches
 * of the objects named here, so nobody edits a file between `cdk deploy` and the first sync.
 */
export const DEPLOY_VALUES = {
  /** ConfigMap of namespace `shopfront` the Cluster stack fills; rendered empty. */
  configMap: `${PRODUCT}-deploy-values`,
  /** Its key holding the MSK bootstrap brokers (IAM listener); the Kafka clients read it, and fail to start without. */
  kafkaBrokersKey: 'KAFKA_BROKERS',
  /**
   * What the Applications and AppProjects of `apps/` name as their first source repository in the rendered files;
   * the Cluster stack's add-ons root Application replaces it with the configured repository and revision.
   */
  repository: 'git-repository-of-the-cluster-stack',
} as const;

/**
 * How every Argo CD Application retries a failed sync: 30 s, doubling, at most 10 min apart, ten times (about an
 * hour). A fresh cluster needs that long: nodes join, the add-ons' webhooks come up, External Secrets fills the
 * Secrets, the load balancer controller admits the Ingress; a shorter retry gives up before and waits for the next
 * change in Git.
 */
export const GITOPS_SYNC_RETRY = { limit: 10, backoff: { duration: '30s', factor: 2, maxDuration: '10m' } } as const;

/** How long a retry policy keeps trying, in seconds: the sum of its waits. */
export function retrySeconds(retry: {
  readonly limit: number;
  readonly backoff: { readonly duration: string; readonly factor: number; readonly maxDuration: string };
}): number {
  const seconds = (text: string): number => {
    const match = /^(\d+)(s|m|h)$/.exec(text);
    if (!match) throw new Error(`'backoff' durations must be like 30s, 10m or 1h, got "${text}"`);
    return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
  };
  let total = 0;
  for (let attempt = 0; attempt < retry.limit; attempt++) {
    total += Math.min(
      seconds(retry.backoff.duration) * retry.backoff.factor ** attempt,
      seconds(retry.backoff.maxDuration),
    );
  }
  return total;
}

/**
 * The SSM parameter holding an environment's MSK bootstrap brokers (IAM listener): the Data stack writes it, the
 * Cluster stack reads it at deploy time. Not a CloudFormation export: the broker list changes with the cluster, and
 * an export in use can never change.
 */
export const kafkaBrokersParameterName = (env: EnvironmentSpec): string =>
  `/${PRODUCT}/${env.name}/kafka/bootstrap-brokers-iam`;

/**
 * The SSM parameter through which the AWS Data stack hands one of its values (an ARN, an id, a name) to the other
 * stacks of the environment: `/shopfront/<env>/data/<key>`. They read it at deploy time instead of importing a
 * CloudFormation export, which could never change or go while in use and so would pin the Data stack's resources.
 */
export const dataParameterName = (env: EnvironmentSpec, key: string): string => `/${PRODUCT}/${env.name}/data/${key}`;

/** Where one environment deploys to. */
export interface EnvironmentDeployment {
  /**
   * The AWS account of the environment: where the AWS app deploys it (its ECR registry and certificate with it).
   * @default - none: the AWS templates are account-agnostic (the account comes from `-c shopfront:account` or the
   * deploying credentials)
   */
  readonly awsAccount?: string;
  /**
   * IAM role of the people who operate the environment: cluster admin through an EKS access entry; they reach the
   * private API endpoint through the bastion (docs/decisions/0013-cluster-access.md). Required in staging and prod.
   * @default - none (dev only): nobody but the deploying role and the kubectl handler can use the Kubernetes API
   */
  readonly operatorRoleArn?: string;
  /**
   * IAM role of the delivery pipeline: creates and updates Argo CD Applications and AppProjects, reads the platform
   * namespace. Required in staging and prod.
   * @default - none (dev only)
   */
  readonly pipelineRoleArn?: string;
  /**
   * Public host name of the API: the Ingress's host rule and the name of its ACM certificate, which the Cluster stack
   * requests and validates by DNS in `hostedZoneId`. Required, with `hostedZoneId`, to deploy an environment.
   * @default - none: the templates are not deployable (a synthesis for an account stops)
   */
  readonly apiHostname?: string;
  /** The Route 53 public hosted zone `apiHostname` is in (`Z...`). @default - none, see `apiHostname` */
  readonly hostedZoneId?: string;
  /** Tag of every service image in this environment (ECR tags are immutable). @default - `imageTag` of the settings */
  readonly imageTag?: string;
  /**
   * The two interface addresses of the environment's GCP HA VPN gateway (the GCP stack's `GatewayAddresses`
   * output, after its first deploy): the AWS customer gateways. Required to deploy an environment.
   * @default - none: the AWS templates have no VPN to GCP (a synthesis for an account stops)
   */
  readonly gcpVpnAddresses?: readonly [string, string];
  /**
   * The private address of the environment's results database on Cloud SQL (the GCP stack's `ResultsDatabaseAddress`
   * output, in the catalog's `gcp.network.privateServiceCidr`). With `gcpVpnAddresses`, the analytics link is
   * configured: the Data stack generates the gateway's login and the manifests give it `ANALYTICS_DATABASE_URL`.
   * @default - none: the gateway serves the windows from its local results file
   */
  readonly resultsDatabaseAddress?: string;
  /**
   * The results database's server CA certificate, PEM (the GCP stack's `ResultsDatabaseServerCa` output, with
   * `resultsDatabaseAddress`): the gateway verifies the server with it (`verify-ca`). Not a secret.
   * @default - none; required with `resultsDatabaseAddress`
   */
  readonly resultsDatabaseServerCa?: string;
}

/** Environments whose cluster must name the roles of its operators and its pipeline. */
export const CLUSTER_ACCESS_REQUIRED_IN: readonly EnvironmentName[] = ['staging', 'prod'];

/** The IAM roles an environment's cluster admits besides its own handlers. */
export type ClusterAccessRoles = Pick<EnvironmentDeployment, 'operatorRoleArn' | 'pipelineRoleArn'>;

/** The deployment settings of the platform. The region of each environment is the catalog's (`EnvironmentSpec`). */
export interface DeploymentSettings {
  /**
   * The Git repository ArgoCD syncs `deploy/k8s/<env>/` from: the Cluster stack's root Application and the
   * Applications of the manifests.
   */
  readonly gitRepoUrl: string;
  /** The branch, tag or commit ArgoCD tracks. */
  readonly gitRevision: string;
  /**
   * Whether Argo CD needs credentials to read the repository. When true, the Cluster stack creates the Secrets Manager
   * secret `shopfront-<env>-git-credentials` (`{"username","password"}`; put a read-only token there) and External
   * Secrets turns it into Argo CD's repository Secret. @default false (a public repository)
   */
  readonly gitRepoPrivate?: boolean;
  /** Tag of every service image, unless an environment names its own; `-c shopfront:imageTag` overrides both. */
  readonly imageTag: string;
  readonly environments: Readonly<Record<EnvironmentName, EnvironmentDeployment>>;
}

/** The account the repository's placeholder roles name: no real account has this id. */
export const PLACEHOLDER_ACCOUNT = '000000000000';

/** The repository URL this repository ships with: a deployment must name its own (`gitRepoUrl`). */
export const PLACEHOLDER_GIT_REPO_URL = 'https://github.com/example/shopfront.git';

const AWS_ACCOUNT = /^\d{12}$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
const IAM_ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::(\d{12}):role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const GIT_REPO_URL = /^(https:\/\/|ssh:\/\/|git@)[^\s]+$/;

/** The issue of an AWS account id, named `field` as its reader knows it; undefined when the value is valid. */
export function checkAwsAccount(field: string, value: unknown): CatalogIssue | undefined {
  return typeof value === 'string' && AWS_ACCOUNT.test(value)
    ? undefined
    : { field, value, allowed: 'a 12-digit AWS account id' };
}

/** The issue of an image tag: immutable in ECR, so never `latest`; undefined when the value is valid. */
export function checkImageTag(field: string, value: unknown): CatalogIssue | undefined {
  return typeof value === 'string' && IMAGE_TAG.test(value) && value !== 'latest'
    ? undefined
    : { field, value, allowed: "an immutable image tag (not 'latest')" };
}

/** The issue of a public DNS host name such as api.shop.example.org; undefined when the value is valid. */
export function checkHostName(field: string, value: unknown): CatalogIssue | undefined {
  return typeof value === 'string' && HOST_NAME.test(value)
    ? undefined
    : { field, value, allowed: 'a lower-case DNS host name such as api.shop.example.org' };
}

/** The issue of a Route 53 hosted zone id; undefined when the value is valid. */
export function checkHostedZoneId(field: string, value: unknown): CatalogIssue | undefined {
  return typeof value === 'string' && HOSTED_ZONE_ID.test(value)
    ? undefined
    : { field, value, allowed: 'a Route 53 hosted zone id (Z followed by capitals and digits)' };
}

/** The issue of a Git repository URL ArgoCD can sync from; undefined when the value is valid. */
export function checkGitRepoUrl(field: string, value: unknown): CatalogIssue | undefined {
  return typeof value === 'string' && GIT_REPO_URL.test(value)
    ? undefined
    : { field, value, allowed: 'an https://, ssh:// or git@ repository URL' };
}

/** The account of an IAM role ARN, or undefined when the value is not one. */
export function accountOfRoleArn(value: string): string | undefined {
  return IAM_ROLE_ARN.exec(value)?.[2];
}

/**
 * The issue of an IAM role ARN (`arn:aws:iam::<account>:role/<path/><name>`), named `field` as its reader knows it;
 * with `account`, the role must belong to it (EKS access entries admit principals of the cluster's account only).
 */
export function checkIamRoleArn(field: string, value: unknown, account?: string): CatalogIssue | undefined {
  const roleAccount = typeof value === 'string' ? accountOfRoleArn(value) : undefined;
  if (roleAccount === undefined)
    return { field, value, allowed: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)' };
  if (account !== undefined && roleAccount !== account) {
    return { field, value, allowed: `an IAM role of the environment's account ${account}` };
  }
  return undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;

/**
 * One or more PEM X.509 CA certificates and nothing else (Cloud SQL's `server_ca_cert`; during a CA rotation, the
 * old and the new). A certificate that does not parse, is no CA, or text around the blocks is refused.
 */
function checkServerCa(field: string, value: unknown): CatalogIssue | undefined {
  const allowed =
    'PEM X.509 CA certificates (-----BEGIN CERTIFICATE-----), the GCP stack output ResultsDatabaseServerCa';
  // The value can be long: the issue shows its start only.
  const shown = typeof value === 'string' && value.length > 60 ? `${value.slice(0, 60)}…` : value;
  if (typeof value !== 'string') return { field, value: shown, allowed };
  const blocks = value.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0 || value.replace(PEM_CERTIFICATE, '').trim() !== '') return { field, value: shown, allowed };
  for (const [index, block] of blocks.entries()) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (error) {
      return {
        field,
        value: shown,
        allowed: `${allowed}; certificate ${index + 1} does not parse: ${(error as Error).message}`,
      };
    }
    if (!certificate.ca) {
      return {
        field,
        value: shown,
        allowed: `${allowed}; certificate ${index + 1} (${certificate.subject.replaceAll('\n', ', ')}) is not a CA`,
      };
    }
  }
  return undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The issue of the two HA VPN interface addresses (`a,b` or a pair); undefined when the value is valid. */
export function checkVpnAddresses(field: string, value: unknown): CatalogIssue | undefined {
  const list = typeof value === 'string' ? value.split(',').map((a) => a.trim()) : value;
  return Array.isArray(list) &&
    list.length === 2 &&
    list.every((a) => typeof a === 'string' && IPV4.test(a)) &&
    list[0] !== list[1]
    ? undefined
    : { field, value, allowed: "the two distinct IPv4 addresses of the GCP HA VPN gateway ('a,b')" };
}

/** Every broken rule of a deployment's settings. */
export function validateDeployment(settings: DeploymentSettings): CatalogIssue[] {
  const issues = [checkGitRepoUrl('gitRepoUrl', settings.gitRepoUrl)];
  if (typeof settings.gitRevision !== 'string' || !/^[^\s]+$/.test(settings.gitRevision)) {
    issues.push({ field: 'gitRevision', value: settings.gitRevision, allowed: 'a branch, tag or commit' });
  }
  issues.push(checkImageTag('imageTag', settings.imageTag));
  for (const [name, environment] of Object.entries(settings.environments) as [
    EnvironmentName,
    EnvironmentDeployment,
  ][]) {
    const at = `environments[${name}]`;
    const accountIssue =
      environment.awsAccount === undefined ? undefined : checkAwsAccount(`${at}.awsAccount`, environment.awsAccount);
    issues.push(accountIssue);
    const account = accountIssue ? undefined : environment.awsAccount;
    if (environment.imageTag !== undefined) issues.push(checkImageTag(`${at}.imageTag`, environment.imageTag));
    if (environment.apiHostname !== undefined) issues.push(checkHostName(`${at}.apiHostname`, environment.apiHostname));
    if (environment.hostedZoneId !== undefined) {
      issues.push(checkHostedZoneId(`${at}.hostedZoneId`, environment.hostedZoneId));
    }
    if ((environment.apiHostname === undefined) !== (environment.hostedZoneId === undefined)) {
      const missing = environment.apiHostname === undefined ? 'apiHostname' : 'hostedZoneId';
      issues.push({
        field: `${at}.${missing}`,
        value: undefined,
        allowed: 'set together with the other of apiHostname and hostedZoneId',
      });
    }
    if (environment.gcpVpnAddresses !== undefined) {
      issues.push(checkVpnAddresses(`${at}.gcpVpnAddresses`, environment.gcpVpnAddresses));
    }
    if (environment.resultsDatabaseAddress !== undefined) {
      const address = environment.resultsDatabaseAddress;
      if (typeof address !== 'string' || !IPV4.test(address)) {
        issues.push({
          field: `${at}.resultsDatabaseAddress`,
          value: address,
          allowed: 'the IPv4 private address of the Cloud SQL results database',
        });
      }
      if (environment.gcpVpnAddresses === undefined) {
        issues.push({
          field: `${at}.gcpVpnAddresses`,
          value: undefined,
          allowed: 'set with resultsDatabaseAddress: the results database is reached through the VPN',
        });
      }
    }
    if (environment.resultsDatabaseServerCa !== undefined) {
      issues.push(checkServerCa(`${at}.resultsDatabaseServerCa`, environment.resultsDatabaseServerCa));
    }
    if ((environment.resultsDatabaseAddress === undefined) !== (environment.resultsDatabaseServerCa === undefined)) {
      const missing =
        environment.resultsDatabaseAddress === undefined ? 'resultsDatabaseAddress' : 'resultsDatabaseServerCa';
      issues.push({
        field: `${at}.${missing}`,
        value: undefined,
        allowed:
          'set together with the other of resultsDatabaseAddress and resultsDatabaseServerCa (GCP stack outputs)',
      });
    }
    for (const role of ['operatorRoleArn', 'pipelineRoleArn'] as const) {
      const value = environment[role];
      if (value !== undefined) issues.push(checkIamRoleArn(`${at}.${role}`, value, account));
      else if (CLUSTER_ACCESS_REQUIRED_IN.includes(name)) {
        issues.push({
          field: `${at}.${role}`,
          value,
          allowed: `an IAM role ARN (required in ${CLUSTER_ACCESS_REQUIRED_IN.join(' and ')})`,
        });
      }
    }
  }
  return issues.filter((issue): issue is CatalogIssue => issue !== undefined);
}

/** What the delivery pipeline needs to deploy an environment: the role it assumes and the region. */
export interface PipelineTarget {
  readonly role: string;
  readonly region: string;
}

/**
 * The pipeline role and region of an environment (.github/workflows, scripts/pipeline-target.ts). Throws, naming the
 * setting, while the role is unset or names the placeholder account.
 */
export function pipelineTarget(
  environment: EnvironmentSpec,
  settings: DeploymentSettings = DEPLOYMENT,
): PipelineTarget {
  const role = settings.environments[environment.name].pipelineRoleArn;
  const field = `environments[${environment.name}].pipelineRoleArn`;
  const issue =
    role === undefined || accountOfRoleArn(role) === PLACEHOLDER_ACCOUNT
      ? {
          field,
          value: role,
          allowed: 'the IAM role the pipeline assumes in the environment account (not a placeholder)',
        }
      : checkIamRoleArn(field, role, settings.environments[environment.name].awsAccount);
  if (issue) throw new DeploymentError([issue]);
  return { role: role as string, region: environment.region };
}

export class DeploymentError extends Error {
  constructor(readonly issues: readonly CatalogIssue[]) {
    super(`invalid deployment settings:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
    this.name = 'DeploymentError';
  }
}

/** Validates and returns deployment settings, or throws a DeploymentError listing every broken rule. */
export function defineDeployment<T extends DeploymentSettings>(settings: T): T {
  const issues = validateDeployment(settings);
  if (issues.length > 0) throw new DeploymentError(issues);
  return settings;
}

/**
 * The repository's deployment settings. Before the first deploy, set your repository and, per environment, its
 * account, the roles of its operators and pipeline, and its public host name with its hosted zone: `cdk deploy`
 * passes them, with what the stacks create, to the cluster (the rendered manifests carry none of them). A synthesis
 * for an account stops, naming the setting, while one is missing or still a placeholder.
 */
export const DEPLOYMENT: DeploymentSettings = defineDeployment({
  gitRepoUrl: PLACEHOLDER_GIT_REPO_URL,
  gitRevision: 'main',
  imageTag: '0.1.0',
  environments: {
    dev: {},
    // Placeholder roles in no real account: set yours (and the account) before the first deploy. A synthesis for a
    // real account stops while they name another account.
    staging: {
      operatorRoleArn: `arn:aws:iam::${PLACEHOLDER_ACCOUNT}:role/shopfront-staging-operator`,
      pipelineRoleArn: `arn:aws:iam::${PLACEHOLDER_ACCOUNT}:role/shopfront-staging-pipeline`,
    },
    prod: {
      operatorRoleArn: `arn:aws:iam::${PLACEHOLDER_ACCOUNT}:role/shopfront-prod-operator`,
      pipelineRoleArn: `arn:aws:iam::${PLACEHOLDER_ACCOUNT}:role/shopfront-prod-pipeline`,
    },
  },
});
