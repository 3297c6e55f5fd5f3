import {
  analyticsLinkConfigured,
  type CatalogIssue,
  type ClusterAccessRoles,
  checkAwsAccount,
  checkGitRepoUrl,
  checkHostedZoneId,
  checkHostName,
  checkIamRoleArn,
  checkImageTag,
  checkVpnAddresses,
  DEPLOYMENT,
  type DeploymentSettings,
  type EnvironmentName,
  type EnvironmentSpec,
  formatIssue,
  PLACEHOLDER_GIT_REPO_URL,
} from '../../lib/platform';
import type { PublicEndpointSettings } from './constructs/public-endpoint';

/** What the AWS app needs beyond the catalog: lib/platform's deployment settings, which CDK context may override. */
export interface AwsAppConfig {
  /** Git repository ArgoCD syncs `deploy/k8s/<env>/` from. */
  readonly gitRepoUrl: string;
  /** Branch, tag or commit ArgoCD tracks. */
  readonly gitRevision: string;
  /** Whether Argo CD reads the repository with credentials from Secrets Manager. @default false */
  readonly gitRepoPrivate?: boolean;
  /** AWS account of each environment. @default - account-agnostic templates (resolved at deploy time) */
  readonly accounts?: Readonly<Partial<Record<EnvironmentName, string>>>;
  /** Restricts synthesis to these environments. @default - every environment of the catalog */
  readonly environments?: readonly string[];
  /** The IAM roles each environment's cluster admits (EKS access entries). @default - none */
  readonly clusterAccess?: Readonly<Partial<Record<EnvironmentName, ClusterAccessRoles>>>;
  /** Tag of the service images each environment runs. @default - `DEPLOYMENT.imageTag` */
  readonly imageTags?: Readonly<Partial<Record<EnvironmentName, string>>>;
  /**
   * The API's host name and hosted zone per environment (its certificate and Ingress host rule).
   * @default - none: the templates are not deployable, which is refused once an account is known
   */
  readonly publicEndpoints?: Readonly<Partial<Record<EnvironmentName, PublicEndpointSettings>>>;
  /**
   * The GCP HA VPN gateway's two addresses per environment: the customer gateways of the VPN to the analytics VPC.
   * @default - none: no VPN, which is refused once an account is known
   */
  readonly gcpVpnAddresses?: Readonly<Partial<Record<EnvironmentName, readonly [string, string]>>>;
  /**
   * The Cloud SQL results database's private address per environment, where the analytics link is configured
   * (`analyticsLinkConfigured`): the Data stack then generates the API gateway's login to it.
   * @default - none: the gateway has no login to the results database
   */
  readonly resultsDatabaseAddresses?: Readonly<Partial<Record<EnvironmentName, string>>>;
}

export const stackName = (env: EnvironmentSpec, part: string): string =>
  `Shopfront-${env.name[0]?.toUpperCase()}${env.name.slice(1)}-${part}`;

interface ContextReader {
  readonly node: { tryGetContext(key: string): unknown };
}

/**
 * The app's configuration: lib/platform's deployment settings, each overridable by CDK context (`-c key=value`).
 * An environment's account is, in order, `shopfront:account`, the settings' account of the environment, or
 * `CDK_DEFAULT_ACCOUNT` when credentials are present. Fails with the key's name when a value is wrong, when an
 * environment to synthesize deploys to an account its cluster roles do not belong to (EKS would refuse them), and
 * when an environment with an account (a deployable template) still has the placeholder repository or no public
 * host name and hosted zone.
 */
export function readAwsConfig(
  app: ContextReader,
  environ: NodeJS.ProcessEnv = process.env,
  settings: DeploymentSettings = DEPLOYMENT,
): AwsAppConfig {
  const text = (key: string): string | undefined => {
    const value = app.node.tryGetContext(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`context '${key}' must be a string, got ${JSON.stringify(value)}`);
    return value;
  };
  const fromContext = (key: string, check: typeof checkGitRepoUrl): string | undefined => {
    const value = text(key);
    const issue = value === undefined ? undefined : check(key, value);
    if (issue) throw new Error(`context ${formatIssue(issue)}`);
    return value;
  };
  const account = fromContext('shopfront:account', checkAwsAccount);
  const credentialsAccount = account === undefined ? environ.CDK_DEFAULT_ACCOUNT || undefined : undefined;
  const credentialsIssue = credentialsAccount && checkAwsAccount('CDK_DEFAULT_ACCOUNT', credentialsAccount);
  if (credentialsIssue) throw new Error(`environment variable ${formatIssue(credentialsIssue)}`);
  const accounts: Partial<Record<EnvironmentName, string>> = {};
  for (const name of Object.keys(settings.environments) as EnvironmentName[]) {
    const chosen = account ?? settings.environments[name].awsAccount ?? credentialsAccount;
    if (chosen !== undefined) accounts[name] = chosen;
  }
  const environments = text('shopfront:environments')
    ?.split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const contextImageTag = fromContext('shopfront:imageTag', checkImageTag);
  const gitRepoUrl = fromContext('shopfront:gitRepoUrl', checkGitRepoUrl) ?? settings.gitRepoUrl;
  const contextHostname = fromContext('shopfront:apiHostname', checkHostName);
  const contextZone = fromContext('shopfront:hostedZoneId', checkHostedZoneId);
  if ((contextHostname === undefined) !== (contextZone === undefined)) {
    const missing = contextHostname === undefined ? 'shopfront:apiHostname' : 'shopfront:hostedZoneId';
    throw new Error(
      `context '${missing}' must be given with the other of shopfront:apiHostname and shopfront:hostedZoneId`,
    );
  }
  const contextVpnAddresses = fromContext('shopfront:gcpVpnAddresses', checkVpnAddresses)
    ?.split(',')
    .map((a) => a.trim()) as [string, string] | undefined;
  const privateRepo = text('shopfront:gitRepoPrivate');
  if (privateRepo !== undefined && privateRepo !== 'true' && privateRepo !== 'false') {
    throw new Error(`context 'shopfront:gitRepoPrivate' must be true or false, got ${JSON.stringify(privateRepo)}`);
  }
  const clusterAccess: Partial<Record<EnvironmentName, ClusterAccessRoles>> = {};
  const imageTags: Partial<Record<EnvironmentName, string>> = {};
  const publicEndpoints: Partial<Record<EnvironmentName, PublicEndpointSettings>> = {};
  const gcpVpnAddresses: Partial<Record<EnvironmentName, readonly [string, string]>> = {};
  const resultsDatabaseAddresses: Partial<Record<EnvironmentName, string>> = {};
  const undeployable: CatalogIssue[] = [];
  for (const name of Object.keys(settings.environments) as EnvironmentName[]) {
    const environment = settings.environments[name];
    const { operatorRoleArn, pipelineRoleArn } = environment;
    const apiHostname = contextHostname ?? environment.apiHostname;
    const hostedZoneId = contextZone ?? environment.hostedZoneId;
    clusterAccess[name] = { operatorRoleArn, pipelineRoleArn };
    imageTags[name] = contextImageTag ?? environment.imageTag ?? settings.imageTag;
    if (apiHostname !== undefined && hostedZoneId !== undefined) {
      publicEndpoints[name] = { hostname: apiHostname, hostedZoneId };
    }
    const vpnAddresses = contextVpnAddresses ?? environment.gcpVpnAddresses;
    if (vpnAddresses !== undefined) gcpVpnAddresses[name] = vpnAddresses;
    if (analyticsLinkConfigured(environment)) {
      resultsDatabaseAddresses[name] = environment.resultsDatabaseAddress as string;
    }
    const account = accounts[name];
    if (account === undefined || (environments && !environments.includes(name))) continue;
    if (vpnAddresses === undefined) {
      undeployable.push({
        field: `environments[${name}].gcpVpnAddresses`,
        value: undefined,
        allowed: "the GCP stack's GatewayAddresses output (deploy infra/gcp first: docs/deploy.md)",
      });
    }
    for (const [role, value] of Object.entries({ operatorRoleArn, pipelineRoleArn })) {
      const issue = value === undefined ? undefined : checkIamRoleArn(`environments[${name}].${role}`, value, account);
      if (issue) throw new Error(`deployment setting ${formatIssue(issue)} (lib/platform/deployment.ts)`);
    }
    // A template for a known account is one somebody deploys: every value the running platform needs must be real.
    if (gitRepoUrl === PLACEHOLDER_GIT_REPO_URL) {
      undeployable.push({ field: 'gitRepoUrl', value: gitRepoUrl, allowed: 'your repository, not the placeholder' });
    }
    if (publicEndpoints[name] === undefined) {
      for (const field of ['apiHostname', 'hostedZoneId'] as const) {
        undeployable.push({
          field: `environments[${name}].${field}`,
          value: field === 'apiHostname' ? apiHostname : hostedZoneId,
          allowed: 'set for a deployment (the API certificate and host rule)',
        });
      }
    }
  }
  if (undeployable.length > 0) {
    const unique = [...new Map(undeployable.map((i) => [i.field, i])).values()];
    throw new Error(
      `deployment settings (lib/platform/deployment.ts, or -c shopfront:<key>) not ready for a deployment:\n${unique
        .map((i) => `  - ${formatIssue(i)}`)
        .join('\n')}`,
    );
  }
  return {
    gitRepoUrl,
    gitRevision: text('shopfront:gitRevision') ?? settings.gitRevision,
    gitRepoPrivate: privateRepo === undefined ? (settings.gitRepoPrivate ?? false) : privateRepo === 'true',
    accounts,
    environments,
    clusterAccess,
    imageTags,
    publicEndpoints,
    gcpVpnAddresses,
    resultsDatabaseAddresses,
  };
}
