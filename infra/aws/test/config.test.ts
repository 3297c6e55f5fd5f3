import { DEPLOYMENT, type DeploymentSettings, defineDeployment, PLACEHOLDER_GIT_REPO_URL } from '../../../lib/platform';
import { readAwsConfig } from '../config';
import { retention } from '../retention';

const reader = (context: Record<string, unknown>) => ({ node: { tryGetContext: (key: string) => context[key] } });

/** The API's host name and hosted zone in an environment, and its GCP HA VPN addresses. */
const endpoint = (env: string) => ({
  apiHostname: `api.${env}.shop.example.org`,
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  gcpVpnAddresses: [`198.51.100.${env.length}`, `198.51.100.${env.length + 100}`] as [string, string],
});

/**
 * The repository's settings made deployable: the cluster roles of staging and prod in `account` and a public host
 * name and hosted zone in every environment.
 */
function rolesIn(account: string, settings: DeploymentSettings = DEPLOYMENT): DeploymentSettings {
  const roles = (env: string) => ({
    operatorRoleArn: `arn:aws:iam::${account}:role/shopfront-${env}-operator`,
    pipelineRoleArn: `arn:aws:iam::${account}:role/shopfront-${env}-pipeline`,
  });
  const { environments } = settings;
  return defineDeployment({
    ...settings,
    environments: {
      dev: { ...environments.dev, ...endpoint('dev') },
      staging: { ...environments.staging, ...roles('staging'), ...endpoint('staging') },
      prod: { ...environments.prod, ...roles('prod'), ...endpoint('prod') },
    },
  });
}

const endpointsOf = (settings: DeploymentSettings) =>
  Object.fromEntries(
    Object.entries(settings.environments)
      .filter(([, e]) => e.apiHostname && e.hostedZoneId)
      .map(([name, e]) => [name, { hostname: e.apiHostname, hostedZoneId: e.hostedZoneId }]),
  );
const tags = (tag: string) => ({ dev: tag, staging: tag, prod: tag });

describe('AWS app configuration', () => {
  const repo = { 'shopfront:gitRepoUrl': 'https://git.example.com/shopfront.git' };
  const everywhere = (account: string) => ({ dev: account, staging: account, prod: account });
  const accessOf = (settings: DeploymentSettings) =>
    Object.fromEntries(
      Object.entries(settings.environments).map(([name, e]) => [
        name,
        { operatorRoleArn: e.operatorRoleArn, pipelineRoleArn: e.pipelineRoleArn },
      ]),
    );

  it("takes lib/platform's deployment settings without context", () => {
    expect(readAwsConfig(reader({}), {})).toEqual({
      gitRepoUrl: DEPLOYMENT.gitRepoUrl,
      gitRevision: DEPLOYMENT.gitRevision,
      gitRepoPrivate: false,
      accounts: {},
      environments: undefined,
      clusterAccess: accessOf(DEPLOYMENT),
      imageTags: tags(DEPLOYMENT.imageTag),
      publicEndpoints: {},
      gcpVpnAddresses: {},
      resultsDatabaseAddresses: {},
    });
  });

  it('lets context override the repository, revision, account and environments', () => {
    const config = readAwsConfig(
      reader({
        ...repo,
        'shopfront:gitRevision': 'v1.2.0',
        'shopfront:environments': 'dev, prod',
        'shopfront:account': '123456789012',
      }),
      {},
      rolesIn('123456789012'),
    );
    expect(config).toEqual({
      gitRepoUrl: 'https://git.example.com/shopfront.git',
      gitRevision: 'v1.2.0',
      gitRepoPrivate: false,
      accounts: everywhere('123456789012'),
      environments: ['dev', 'prod'],
      clusterAccess: accessOf(rolesIn('123456789012')),
      imageTags: tags(DEPLOYMENT.imageTag),
      publicEndpoints: endpointsOf(rolesIn('123456789012')),
      gcpVpnAddresses: {
        dev: endpoint('dev').gcpVpnAddresses,
        staging: endpoint('staging').gcpVpnAddresses,
        prod: endpoint('prod').gcpVpnAddresses,
      },
      resultsDatabaseAddresses: {},
    });
  });

  it('takes the results database address of environments whose analytics link is configured, and only those', () => {
    const settings = rolesIn('123456789012');
    const linked = {
      ...settings,
      environments: {
        ...settings.environments,
        dev: { ...endpoint('dev'), resultsDatabaseAddress: '10.111.0.3' },
        staging: { ...endpoint('staging'), gcpVpnAddresses: undefined },
      },
    };
    expect(readAwsConfig(reader({}), {}, linked).resultsDatabaseAddresses).toEqual({ dev: '10.111.0.3' });
  });

  it('takes the account from the CLI environment where neither context nor the settings name one', () => {
    const config = readAwsConfig(reader(repo), { CDK_DEFAULT_ACCOUNT: '210987654321' }, rolesIn('210987654321'));
    expect(config.gitRevision).toBe('main');
    expect(config.accounts).toEqual(everywhere('210987654321'));
    expect(config.environments).toBeUndefined();
  });

  it("prefers an environment's account in the settings to the credentials', and context to both", () => {
    const settings = rolesIn('210987654321');
    const prodAccount = { ...rolesIn('111111111111').environments.prod, awsAccount: '111111111111' };
    const mixed = defineDeployment({ ...settings, environments: { ...settings.environments, prod: prodAccount } });
    const credentials = { CDK_DEFAULT_ACCOUNT: '210987654321' };
    expect(readAwsConfig(reader(repo), credentials, mixed).accounts).toEqual({
      dev: '210987654321',
      staging: '210987654321',
      prod: '111111111111',
    });
    const explicit = reader({ ...repo, 'shopfront:account': '123456789012' });
    expect(readAwsConfig(explicit, credentials, rolesIn('123456789012')).accounts).toEqual(everywhere('123456789012'));
  });

  it.each([
    [
      { 'shopfront:gitRepoUrl': 'ftp://example.com/x' },
      /context 'shopfront:gitRepoUrl' must be an https:\/\/, ssh:\/\/ or git@ repository URL, got "ftp:\/\/example.com\/x"/,
    ],
    [{ 'shopfront:gitRepoUrl': 42 }, /context 'shopfront:gitRepoUrl' must be a string, got 42/],
    [{ ...repo, 'shopfront:account': '1234' }, /'shopfront:account' must be a 12-digit AWS account id, got "1234"/],
  ])('rejects bad context %j naming the key', (context, message) => {
    expect(() => readAwsConfig(reader(context), {})).toThrow(message);
  });

  it('refuses an environment whose cluster roles belong to another account than the one it deploys to', () => {
    expect(() => readAwsConfig(reader({}), { CDK_DEFAULT_ACCOUNT: '210987654321' })).toThrow(
      `deployment setting 'environments[staging].operatorRoleArn' must be an IAM role of the environment's account ` +
        `210987654321, got "arn:aws:iam::000000000000:role/shopfront-staging-operator" (lib/platform/deployment.ts)`,
    );
  });

  it('checks the cluster roles of the environments it synthesizes only', () => {
    const devOnly = reader({ ...repo, 'shopfront:environments': 'dev' });
    const devReady = defineDeployment({
      ...DEPLOYMENT,
      environments: { ...DEPLOYMENT.environments, dev: endpoint('dev') },
    });
    const config = readAwsConfig(devOnly, { CDK_DEFAULT_ACCOUNT: '210987654321' }, devReady);
    expect(config.environments).toEqual(['dev']);
    expect(config.clusterAccess?.prod).toEqual({
      operatorRoleArn: DEPLOYMENT.environments.prod.operatorRoleArn,
      pipelineRoleArn: DEPLOYMENT.environments.prod.pipelineRoleArn,
    });
  });

  it('takes the image tag from context, else the environment, else the settings', () => {
    const settings = rolesIn('123456789012');
    const prodTagged = defineDeployment({
      ...settings,
      environments: { ...settings.environments, prod: { ...settings.environments.prod, imageTag: 'git-3f2a1bc' } },
    });
    expect(readAwsConfig(reader({}), {}, prodTagged).imageTags).toEqual({
      dev: DEPLOYMENT.imageTag,
      staging: DEPLOYMENT.imageTag,
      prod: 'git-3f2a1bc',
    });
    expect(readAwsConfig(reader({ 'shopfront:imageTag': 'v2.0.0' }), {}, prodTagged).imageTags).toEqual(tags('v2.0.0'));
    expect(() => readAwsConfig(reader({ 'shopfront:imageTag': 'latest' }), {})).toThrow(
      `context 'shopfront:imageTag' must be an immutable image tag (not 'latest'), got "latest"`,
    );
  });

  it('refuses a deployable synthesis of staging or prod with placeholder settings, naming each', () => {
    const forStaging = reader({ 'shopfront:environments': 'staging' });
    const settings = rolesIn('123456789012');
    const noEndpoint = defineDeployment({
      ...settings,
      environments: {
        ...settings.environments,
        staging: { ...settings.environments.staging, apiHostname: undefined, hostedZoneId: undefined },
      },
    });
    const message = (() => {
      try {
        readAwsConfig(forStaging, { CDK_DEFAULT_ACCOUNT: '123456789012' }, noEndpoint);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    })();
    expect(message).toContain(
      `'gitRepoUrl' must be your repository, not the placeholder, got "${PLACEHOLDER_GIT_REPO_URL}"`,
    );
    expect(message).toContain(`'environments[staging].apiHostname' must be set for a deployment`);
    expect(message).toContain(`'environments[staging].hostedZoneId' must be set for a deployment`);
    expect(message).not.toContain('gcpVpnAddresses');
    expect(() =>
      readAwsConfig(
        reader({ ...repo, 'shopfront:environments': 'prod' }),
        { CDK_DEFAULT_ACCOUNT: '123456789012' },
        noEndpoint,
      ),
    ).not.toThrow();
  });

  it('refuses a deployable synthesis without the GCP HA VPN addresses, and takes them from context', () => {
    const settings = rolesIn('123456789012');
    const noVpn = defineDeployment({
      ...settings,
      environments: { ...settings.environments, dev: { ...settings.environments.dev, gcpVpnAddresses: undefined } },
    });
    const forDev = (context: Record<string, unknown>) =>
      readAwsConfig(
        reader({ ...repo, 'shopfront:environments': 'dev', ...context }),
        {
          CDK_DEFAULT_ACCOUNT: '123456789012',
        },
        noVpn,
      );
    expect(() => forDev({})).toThrow(
      `'environments[dev].gcpVpnAddresses' must be the GCP stack's GatewayAddresses output (deploy infra/gcp first: docs/deploy.md), got undefined`,
    );
    expect(forDev({ 'shopfront:gcpVpnAddresses': '198.51.100.7, 198.51.100.8' }).gcpVpnAddresses?.dev).toEqual([
      '198.51.100.7',
      '198.51.100.8',
    ]);
  });

  it('lets an account-agnostic synthesis (no account known, offline) keep the placeholders', () => {
    expect(() => readAwsConfig(reader({}), {})).not.toThrow();
  });

  it('rejects a malformed account from the credentials naming the variable', () => {
    expect(() => readAwsConfig(reader({}), { CDK_DEFAULT_ACCOUNT: 'abc' })).toThrow(
      `environment variable 'CDK_DEFAULT_ACCOUNT' must be a 12-digit AWS account id, got "abc"`,
    );
  });

  it('rejects an unknown environment when composing', () => {
    const { buildAwsApp } = require('../app') as typeof import('../app');
    const { App } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    expect(() =>
      buildAwsApp(new App(), { gitRepoUrl: 'https://x.example/y.git', gitRevision: 'main', environments: ['qa'] }),
    ).toThrow("unknown environment 'qa'; known: dev, staging, prod");
  });

  it('maps retention days to CloudWatch values and rejects others', () => {
    expect(retention(14)).toBe(14);
    expect(() => retention(10)).toThrow("'logRetentionDays' must be a CloudWatch retention value, got 10");
  });
});

describe('deployment settings from context', () => {
  const reader = (context: Record<string, unknown>) => ({ node: { tryGetContext: (key: string) => context[key] } });

  it('takes the host name and zone of every environment it synthesizes, and a private repository', () => {
    const config = readAwsConfig(
      reader({
        'shopfront:apiHostname': 'api.shop.example.org',
        'shopfront:hostedZoneId': 'Z0123456789ABCDEFGHIJ',
        'shopfront:gitRepoPrivate': 'true',
      }),
      {},
    );
    expect(config.publicEndpoints?.prod).toEqual({
      hostname: 'api.shop.example.org',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    });
    expect(config.gitRepoPrivate).toBe(true);
    expect(readAwsConfig(reader({}), {}).gitRepoPrivate).toBe(false);
  });

  it.each([
    [
      { 'shopfront:apiHostname': 'api.shop.example.org' },
      `context 'shopfront:hostedZoneId' must be given with the other`,
    ],
    [
      { 'shopfront:apiHostname': 'API', 'shopfront:hostedZoneId': 'Z1' },
      `context 'shopfront:apiHostname' must be a lower-case DNS host name such as api.shop.example.org, got "API"`,
    ],
    [
      { 'shopfront:apiHostname': 'api.shop.org', 'shopfront:hostedZoneId': 'shop.org' },
      `context 'shopfront:hostedZoneId' must be a Route 53 hosted zone id`,
    ],
    [{ 'shopfront:gitRepoPrivate': 'yes' }, `context 'shopfront:gitRepoPrivate' must be true or false, got "yes"`],
    [
      { 'shopfront:gcpVpnAddresses': '198.51.100.1' },
      `context 'shopfront:gcpVpnAddresses' must be the two distinct IPv4 addresses of the GCP HA VPN gateway ('a,b'), got "198.51.100.1"`,
    ],
  ])('rejects %j naming the key', (context, message) => {
    expect(() => readAwsConfig(reader(context), {})).toThrow(message);
  });
});
