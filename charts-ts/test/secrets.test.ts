import { shop } from '../../lib/platform';
import { DATABASE_URL_TEMPLATE } from '../charts/platform-chart';
import { type Json, named, ofKind, synth } from './helpers';

const dev = synth();

describe('secrets', () => {
  test('no Secret object is rendered anywhere: values live in Secrets Manager', () => {
    expect(ofKind(dev.all, 'Secret')).toEqual([]);
  });

  test('a namespaced SecretStore for Secrets Manager in the catalog region, on the operator identity', () => {
    expect((named(dev.platform, 'SecretStore', 'aws-secrets-manager') as Json).spec).toEqual({
      provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } },
    });
  });

  test('each database owner gets DATABASE_URL built from its RDS secret', () => {
    const owners = shop.postgresOwners.filter((o) => shop.containers.includes(o.service));
    for (const { service } of owners) {
      const es = named(dev.platform, 'ExternalSecret', `${service.name}-database`) as Json;
      expect(es.apiVersion).toBe('external-secrets.io/v1');
      expect(es.spec.dataFrom).toEqual([{ extract: { key: `shopfront-dev-${service.name}/database` } }]);
      expect(es.spec.target.template.data).toEqual({ DATABASE_URL: DATABASE_URL_TEMPLATE });
    }
    expect(DATABASE_URL_TEMPLATE).toBe(
      'postgres://{{ .username }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .dbname }}?sslmode=verify-full',
    );
  });

  test('the JWT signing key is copied from its plain-string secret', () => {
    const es = named(dev.platform, 'ExternalSecret', 'jwt-signing-key') as Json;
    expect(es.spec.data).toEqual([{ secretKey: 'JWT_SECRET', remoteRef: { key: 'shopfront-dev-jwt-signing-key' } }]);
    expect(ofKind(synth(shop, 'prod').platform, 'ExternalSecret').map((o) => o.metadata.name)).toContain(
      'jwt-signing-key',
    );
  });
});
