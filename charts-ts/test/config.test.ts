import cdkJson from '../../cdk.json';
import { resourceName } from '../../infra/aws/config';
import { MSK_IAM_TLS_PORT } from '../../infra/aws/constructs/kafka-cluster';
import { shop } from '../../lib/platform';
import { DEFAULT_K8S_CONFIG, resolveK8sConfig } from '../config';
import { awsResourceName, KAFKA_IAM_TLS_PORT } from '../conventions';

const dev = shop.environment('dev');

describe('configuration', () => {
  test('defaults: placeholder account, the catalog region, cdk.json repository', () => {
    const config = resolveK8sConfig(dev, {});
    expect(config.registry).toBe('000000000000.dkr.ecr.eu-west-1.amazonaws.com');
    expect(config.region).toBe(dev.region);
    expect(config.gitRepoUrl).toBe(cdkJson.context['shopfront:gitRepoUrl']);
    expect(config.gitRevision).toBe(cdkJson.context['shopfront:gitRevision']);
    expect(config.certificateArn).toBe(
      'arn:aws:acm:eu-west-1:000000000000:certificate/00000000-0000-0000-0000-000000000000',
    );
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

  test('names and ports agree with the AWS app', () => {
    for (const env of shop.catalog.environments) {
      expect(awsResourceName(env, 'user-service')).toBe(resourceName(env, 'user-service'));
    }
    expect(KAFKA_IAM_TLS_PORT).toBe(MSK_IAM_TLS_PORT);
  });
});
