import type { EnvironmentSpec } from '../../lib/platform';

/** What the AWS app needs beyond the catalog; all of it comes from CDK context or the environment. */
export interface AwsAppConfig {
  /** Git repository ArgoCD syncs `deploy/k8s/<env>/` from. */
  readonly gitRepoUrl: string;
  /** Branch, tag or commit ArgoCD tracks. */
  readonly gitRevision: string;
  /** AWS account to deploy to. @default - account-agnostic templates (resolved at deploy time) */
  readonly account?: string;
  /** Restricts synthesis to these environments. @default - every environment of the catalog */
  readonly environments?: readonly string[];
}

/** The name prefix of every stack and named resource. */
export const PRODUCT = 'shopfront';

export const resourceName = (env: EnvironmentSpec, name: string): string => `${PRODUCT}-${env.name}-${name}`;

export const stackName = (env: EnvironmentSpec, part: string): string =>
  `Shopfront-${env.name[0]?.toUpperCase()}${env.name.slice(1)}-${part}`;

interface ContextReader {
  readonly node: { tryGetContext(key: string): unknown };
}

/**
 * Reads the app's configuration from CDK context (`cdk.json` or `-c key=value`), with the account from
 * `CDK_DEFAULT_ACCOUNT` when credentials are present. Fails with the key's name when a value is wrong.
 */
export function readAwsConfig(app: ContextReader, environ: NodeJS.ProcessEnv = process.env): AwsAppConfig {
  const text = (key: string): string | undefined => {
    const value = app.node.tryGetContext(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`context '${key}' must be a string, got ${JSON.stringify(value)}`);
    return value;
  };
  const gitRepoUrl = text('shopfront:gitRepoUrl');
  if (!gitRepoUrl || !/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/.test(gitRepoUrl)) {
    throw new Error(
      `context 'shopfront:gitRepoUrl' must be an https://, ssh:// or git@ repository URL, got ${JSON.stringify(gitRepoUrl)}`,
    );
  }
  const account = text('shopfront:account') ?? environ.CDK_DEFAULT_ACCOUNT;
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    throw new Error(`context 'shopfront:account' must be a 12-digit AWS account id, got ${JSON.stringify(account)}`);
  }
  const environments = text('shopfront:environments')
    ?.split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  return {
    gitRepoUrl,
    gitRevision: text('shopfront:gitRevision') ?? 'main',
    account,
    environments,
  };
}
