import { shop } from '../../lib/platform';
import { resolveK8sConfig } from '../config';

const dev = shop.environment('dev');

describe('configuration', () => {
  test('defaults: the catalog region, Kubernetes 1.34, a non-root user', () => {
    const config = resolveK8sConfig(dev, {});
    expect(config.region).toBe(dev.region);
    expect(config.kubernetesVersion).toBe('1.34');
    expect(config.runAsUser).toBe(10001);
  });

  test('holds none of what only a deployment knows (account, tag, brokers, certificate, host, repository)', () => {
    const keys = Object.keys(resolveK8sConfig(dev, {}));
    for (const key of ['awsAccount', 'registry', 'imageTag', 'kafkaBootstrapBrokers', 'certificateArn', 'gitRepoUrl']) {
      expect(keys).not.toContain(key);
    }
  });

  test('overrides apply to their environment only', () => {
    const overrides = { prod: { logLevel: 'warn' as const } };
    expect(resolveK8sConfig(shop.environment('prod'), overrides).logLevel).toBe('warn');
    expect(resolveK8sConfig(dev, overrides).logLevel).toBe('info');
  });

  test.each([
    [{ region: 'Europe' }, `'region' must be an AWS region name such as eu-west-1, got "Europe"`],
    [{ kubernetesVersion: '2' }, `'kubernetesVersion' must be like 1.34, got "2"`],
    [{ runAsUser: 0 }, `'runAsUser' must be a non-root uid >= 1000, got 0`],
    [{ monitoringNamespace: 'Mon' }, `'monitoringNamespace' must be a DNS-1123 label, got "Mon"`],
  ])('rejects %j', (override, message) => {
    expect(() => resolveK8sConfig(dev, { dev: override })).toThrow(message);
  });
});
