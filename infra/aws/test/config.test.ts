import { readAwsConfig } from '../config';
import { retention } from '../retention';

const reader = (context: Record<string, unknown>) => ({ node: { tryGetContext: (key: string) => context[key] } });

describe('AWS app configuration', () => {
  const repo = { 'shopfront:gitRepoUrl': 'https://git.example.com/shopfront.git' };

  it('reads the repository, revision, account and environments from context', () => {
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
      account: '123456789012',
      environments: ['dev', 'prod'],
    });
  });

  it('defaults the revision to main and takes the account from the CLI environment', () => {
    const config = readAwsConfig(reader(repo), { CDK_DEFAULT_ACCOUNT: '210987654321' });
    expect(config.gitRevision).toBe('main');
    expect(config.account).toBe('210987654321');
    expect(config.environments).toBeUndefined();
  });

  it.each([
    [{}, /context 'shopfront:gitRepoUrl' must be an https:\/\/, ssh:\/\/ or git@ repository URL, got undefined/],
    [{ 'shopfront:gitRepoUrl': 'ftp://example.com/x' }, /'shopfront:gitRepoUrl'.*got "ftp:\/\/example.com\/x"/],
    [{ 'shopfront:gitRepoUrl': 42 }, /context 'shopfront:gitRepoUrl' must be a string, got 42/],
    [{ ...repo, 'shopfront:account': '1234' }, /'shopfront:account' must be a 12-digit AWS account id, got "1234"/],
  ])('rejects bad context %j naming the key', (context, message) => {
    expect(() => readAwsConfig(reader(context), {})).toThrow(message);
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
