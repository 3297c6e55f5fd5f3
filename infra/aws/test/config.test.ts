import { DEPLOYMENT, defineDeployment } from '../../../lib/platform';
import { readAwsConfig } from '../config';
import { retention } from '../retention';

const reader = (context: Record<string, unknown>) => ({ node: { tryGetContext: (key: string) => context[key] } });

describe('AWS app configuration', () => {
  const repo = { 'shopfront:gitRepoUrl': 'https://git.example.com/shopfront.git' };
  const everywhere = (account: string) => ({ dev: account, staging: account, prod: account });

  it("takes lib/platform's deployment settings without context", () => {
    expect(readAwsConfig(reader({}), {})).toEqual({
      gitRepoUrl: DEPLOYMENT.gitRepoUrl,
      gitRevision: DEPLOYMENT.gitRevision,
      accounts: {},
      environments: undefined,
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
    );
    expect(config).toEqual({
      gitRepoUrl: 'https://git.example.com/shopfront.git',
      gitRevision: 'v1.2.0',
      accounts: everywhere('123456789012'),
      environments: ['dev', 'prod'],
    });
  });

  it('takes the account from the CLI environment where neither context nor the settings name one', () => {
    const config = readAwsConfig(reader(repo), { CDK_DEFAULT_ACCOUNT: '210987654321' });
    expect(config.gitRevision).toBe('main');
    expect(config.accounts).toEqual(everywhere('210987654321'));
    expect(config.environments).toBeUndefined();
  });

  it("prefers an environment's account in the settings to the credentials', and context to both", () => {
    const settings = defineDeployment({
      ...DEPLOYMENT,
      environments: { dev: {}, staging: {}, prod: { awsAccount: '111111111111' } },
    });
    const credentials = { CDK_DEFAULT_ACCOUNT: '210987654321' };
    expect(readAwsConfig(reader({}), credentials, settings).accounts).toEqual({
      dev: '210987654321',
      staging: '210987654321',
      prod: '111111111111',
    });
    const explicit = reader({ 'shopfront:account': '123456789012' });
    expect(readAwsConfig(explicit, credentials, settings).accounts).toEqual(everywhere('123456789012'));
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
