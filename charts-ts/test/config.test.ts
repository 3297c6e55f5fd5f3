import { DEPLOYMENT, defineDeployment, shop } from '../../lib/platform';
import { DEFAULT_K8S_CONFIG, resolveK8sConfig } from '../config';

const dev = shop.environment('dev');

describe('configuration', () => {
  test("defaults: placeholder account, the catalog region, the deployment settings' repository", () => {
    const config = resolveK8sConfig(dev, {});
    expect(config.registry).toBe('000000000000.dkr.ecr.eu-west-1.amazonaws.com');
    expect(config.region).toBe(dev.region);
    expect(config.gitRepoUrl).toBe(DEPLOYMENT.gitRepoUrl);
    expect(config.gitRevision).toBe(DEPLOYMENT.gitRevision);
    expect(config.certificateArn).toBe(
      'arn:aws:acm:eu-west-1:000000000000:certificate/00000000-0000-0000-0000-000000000000',
    );
  });

  test("an environment's account in the deployment settings names its registry and certificate", () => {
    const deployment = defineDeployment({
      ...DEPLOYMENT,
      environments: {
        ...DEPLOYMENT.environments,
        prod: {
          awsAccount: '123456789012',
          operatorRoleArn: 'arn:aws:iam::123456789012:role/shopfront-prod-operator',
          pipelineRoleArn: 'arn:aws:iam::123456789012:role/shopfront-prod-pipeline',
        },
      },
    });
    const prod = resolveK8sConfig(shop.environment('prod'), {}, DEFAULT_K8S_CONFIG, deployment);
    expect(prod.registry).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    expect(prod.certificateArn).toMatch(/^arn:aws:acm:eu-west-1:123456789012:certificate\//);
    expect(resolveK8sConfig(dev, {}, DEFAULT_K8S_CONFIG, deployment).awsAccount).toBe('000000000000');
  });

  test('overrides apply to their environment only', () => {
    const overrides = { prod: { imageTag: '1.2.3', awsAccount: '210987654321' } };
    expect(resolveK8sConfig(shop.environment('prod'), overrides).imageTag).toBe('1.2.3');
    expect(resolveK8sConfig(dev, overrides).imageTag).toBe(DEFAULT_K8S_CONFIG.imageTag);
  });

  test.each([
    [{ awsAccount: '12345' }, `'awsAccount' must be a 12-digit AWS account id, got "12345"`],
    [{ imageTag: 'latest' }, `'imageTag' must be an immutable image tag (not 'latest'), got "latest"`],
    [{ gitRepoUrl: 'ftp://x' }, `'gitRepoUrl' must be an https://, ssh:// or git@ repository URL, got "ftp://x"`],
    [{ runAsUser: 0 }, `'runAsUser' must be a non-root uid >= 1000, got 0`],
    [{ kafkaBootstrapBrokers: 'no port' }, `'kafkaBootstrapBrokers' must be a comma-separated list of host:port`],
    [{ certificateArn: 'arn:aws:iam::1:role/x' }, `'certificateArn' must be an ACM certificate ARN`],
  ])('rejects %j', (override, message) => {
    expect(() => resolveK8sConfig(dev, { dev: override })).toThrow(message);
  });
});
