import { DEPLOYMENT, DeploymentError, defineDeployment, resourceName, validateDeployment } from './deployment';
import { shop } from './index';

describe('deployment settings', () => {
  it('are valid as the repository holds them', () => {
    expect(validateDeployment(DEPLOYMENT)).toEqual([]);
  });

  it('name what an environment creates shopfront-<env>-<name>', () => {
    expect(resourceName(shop.environment('prod'), 'kafka')).toBe('shopfront-prod-kafka');
  });

  it.each([
    [
      { gitRepoUrl: 'ftp://example.com/x.git' },
      { field: 'gitRepoUrl', value: 'ftp://example.com/x.git', allowed: 'an https://, ssh:// or git@ repository URL' },
    ],
    [{ gitRevision: 'my branch' }, { field: 'gitRevision', value: 'my branch', allowed: 'a branch, tag or commit' }],
    [
      { environments: { dev: {}, staging: { awsAccount: '12345' }, prod: {} } },
      { field: 'environments[staging].awsAccount', value: '12345', allowed: 'a 12-digit AWS account id' },
    ],
  ])('rejects %j naming the field, the value and what is allowed', (change, issue) => {
    expect(validateDeployment({ ...DEPLOYMENT, ...change })).toEqual([issue]);
  });

  it('refuses to define settings with every broken rule listed', () => {
    const define = () =>
      defineDeployment({
        ...DEPLOYMENT,
        gitRepoUrl: '',
        environments: { dev: { awsAccount: 'x' }, staging: {}, prod: {} },
      });
    expect(define).toThrow(DeploymentError);
    expect(define).toThrow(
      `invalid deployment settings:\n  - 'gitRepoUrl' must be an https://, ssh:// or git@ repository URL, got ""\n` +
        `  - 'environments[dev].awsAccount' must be a 12-digit AWS account id, got "x"`,
    );
  });
});
