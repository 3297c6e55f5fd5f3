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

/** The CloudWatch Logs group of every container's log: `/shopfront/<env>/containers`. */
export const containerLogGroupName = (env: EnvironmentSpec): string =>
  `/${resourceName(env, 'containers').replace(/-/g, '/')}`;

// Ports of managed services the platform reaches but does not run, so the catalog has no component for them.
/** PostgreSQL on RDS and Cloud SQL. */
export const POSTGRES_PORT = 5432;
/** MSK's listener for IAM-authenticated clients over TLS: the services and the notification Lambda. */
export const MSK_IAM_TLS_PORT = 9098;
/** MSK's listener for SASL/SCRAM clients over TLS: the Flink job on Dataproc, through the VPN. */
export const MSK_SCRAM_TLS_PORT = 9096;

/** Where one environment deploys to. */
export interface EnvironmentDeployment {
  /**
   * The AWS account of the environment: where the AWS app deploys it, and the account of the ECR registry and the
   * certificate the manifests name.
   * @default - none: the AWS templates are account-agnostic (the account comes from `-c shopfront:account` or the
   * deploying credentials) and the manifests name the placeholder account 000000000000
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
  readonly environments: Readonly<Record<EnvironmentName, EnvironmentDeployment>>;
}

const AWS_ACCOUNT = /^\d{12}$/;
const IAM_ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::(\d{12}):role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const GIT_REPO_URL = /^(https:\/\/|ssh:\/\/|git@)[^\s]+$/;

/** The issue of an AWS account id, named `field` as its reader knows it; undefined when the value is valid. */
export function checkAwsAccount(field: string, value: unknown): CatalogIssue | undefined {
  return typeof value === 'string' && AWS_ACCOUNT.test(value)
    ? undefined
    : { field, value, allowed: 'a 12-digit AWS account id' };
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

/** Every broken rule of a deployment's settings. */
export function validateDeployment(settings: DeploymentSettings): CatalogIssue[] {
  const issues = [checkGitRepoUrl('gitRepoUrl', settings.gitRepoUrl)];
  if (typeof settings.gitRevision !== 'string' || !/^[^\s]+$/.test(settings.gitRevision)) {
    issues.push({ field: 'gitRevision', value: settings.gitRevision, allowed: 'a branch, tag or commit' });
  }
  for (const [name, environment] of Object.entries(settings.environments) as [
    EnvironmentName,
    EnvironmentDeployment,
  ][]) {
    const at = `environments[${name}]`;
    const accountIssue =
      environment.awsAccount === undefined ? undefined : checkAwsAccount(`${at}.awsAccount`, environment.awsAccount);
    issues.push(accountIssue);
    const account = accountIssue ? undefined : environment.awsAccount;
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
 * The repository's deployment settings. Set your repository and, once they exist, each environment's account and
 * the roles of its operators and pipeline; `npm run synth:k8s` renders the manifests with them and `cdk deploy`
 * deploys with them.
 */
export const DEPLOYMENT: DeploymentSettings = defineDeployment({
  gitRepoUrl: 'https://github.com/example/shopfront.git',
  gitRevision: 'main',
  environments: {
    dev: {},
    // Placeholders in the manifests' placeholder account: set your roles (and the account) before the first deploy.
    // A synthesis for a real account stops while they name another account.
    staging: {
      operatorRoleArn: 'arn:aws:iam::000000000000:role/shopfront-staging-operator',
      pipelineRoleArn: 'arn:aws:iam::000000000000:role/shopfront-staging-pipeline',
    },
    prod: {
      operatorRoleArn: 'arn:aws:iam::000000000000:role/shopfront-prod-operator',
      pipelineRoleArn: 'arn:aws:iam::000000000000:role/shopfront-prod-pipeline',
    },
  },
});
