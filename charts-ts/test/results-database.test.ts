import { parse } from 'pg-connection-string';
import { DEPLOYMENT, type DeploymentSettings, POSTGRES_PORT, RESULTS_DATABASE, shop } from '../../lib/platform';
import { RESULTS_DATABASE_URL_TEMPLATE } from '../charts/platform-chart';
import { DEFAULT_K8S_CONFIG, resolveK8sConfig } from '../config';
import { buildEnvironment, type KubernetesObject, objectsOf } from '../render';
import { type Json, named, ofKind } from './helpers';

const dev = shop.environment('dev');
const cloudSql = dev.gcp.network.privateServiceCidr;

/** The platform objects of dev, rendered with the given deployment settings. */
function platformOf(deployment: DeploymentSettings): KubernetesObject[] {
  const config = resolveK8sConfig(dev, {}, DEFAULT_K8S_CONFIG, deployment);
  return objectsOf(buildEnvironment(shop, config).platform);
}

const linked: DeploymentSettings = {
  ...DEPLOYMENT,
  environments: {
    ...DEPLOYMENT.environments,
    dev: { gcpVpnAddresses: ['198.51.100.10', '198.51.100.11'], resultsDatabaseAddress: '10.111.0.3' },
  },
};

type Container = { name: string; env?: { name: string; valueFrom?: Json }[] };
const containersOf = (objects: readonly KubernetesObject[]): Container[] =>
  ofKind(objects, 'Deployment').flatMap((d) => (d as Json).spec.template.spec.containers as Container[]);
const egressTo = (objects: readonly KubernetesObject[], cidr: string) =>
  ofKind(objects, 'NetworkPolicy').filter((p) => JSON.stringify((p as Json).spec.egress ?? []).includes(`"${cidr}"`));

describe('the API gateway and the results database on Cloud SQL', () => {
  describe('where the analytics link is configured', () => {
    const objects = platformOf(linked);

    test("an ExternalSecret builds ANALYTICS_DATABASE_URL from the gateway's login in Secrets Manager", () => {
      const es = named(objects, 'ExternalSecret', 'analytics-database') as Json;
      expect(es.spec.dataFrom).toEqual([{ extract: { key: 'shopfront-dev-analytics-reader' } }]);
      expect(es.spec.target.template.data).toEqual({ ANALYTICS_DATABASE_URL: RESULTS_DATABASE_URL_TEMPLATE });
    });

    test('only the reader gets the variable, from that Secret', () => {
      const holders = containersOf(objects).filter((c) =>
        (c.env ?? []).some((e) => e.name === 'ANALYTICS_DATABASE_URL'),
      );
      expect(holders.map((c) => c.name)).toEqual([RESULTS_DATABASE.reader]);
      const variable = holders[0]?.env?.find((e) => e.name === 'ANALYTICS_DATABASE_URL');
      expect(variable?.valueFrom).toEqual({
        secretKeyRef: { name: 'analytics-database', key: 'ANALYTICS_DATABASE_URL' },
      });
    });

    test("the gateway may reach Cloud SQL's range on 5432 only, and no other pod may reach it", () => {
      const policies = egressTo(objects, cloudSql) as Json[];
      expect(policies).toHaveLength(1);
      const [policy] = policies;
      expect(policy.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': RESULTS_DATABASE.reader } });
      expect(policy.spec.egress).toEqual([
        { to: [{ ipBlock: { cidr: cloudSql } }], ports: [{ protocol: 'TCP', port: POSTGRES_PORT }] },
      ]);
    });

    test('the URL the template renders is a TLS connection to the address, port and database of the secret', () => {
      const secret = {
        username: 'analytics_gateway',
        password: 'p4ss',
        host: '10.111.0.3',
        port: 5432,
        dbname: 'analytics',
      };
      const url = RESULTS_DATABASE_URL_TEMPLATE.replace(/\{\{ \.(\w+)( \| urlquery)? \}\}/g, (_m, key: string) =>
        String(secret[key as keyof typeof secret]),
      );
      const parsed = parse(url);
      expect(parsed).toMatchObject({
        host: '10.111.0.3',
        port: '5432',
        database: 'analytics',
        user: 'analytics_gateway',
      });
      // TLS on (Cloud SQL refuses plain connections); the server is not verified (see the template's comment).
      expect(parsed.ssl).toEqual({ rejectUnauthorized: false });
    });
  });

  describe('where it is not (the repository as it ships)', () => {
    const objects = platformOf(DEPLOYMENT);

    test('no ExternalSecret, no variable, no path to Cloud SQL', () => {
      expect(ofKind(objects, 'ExternalSecret').map((e) => e.metadata?.name)).not.toContain('analytics-database');
      expect(containersOf(objects).flatMap((c) => (c.env ?? []).map((e) => e.name))).not.toContain(
        'ANALYTICS_DATABASE_URL',
      );
      expect(egressTo(objects, cloudSql)).toEqual([]);
    });
  });
});
