import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DEPLOYMENT,
  type DeploymentSettings,
  POSTGRES_PORT,
  RESULTS_DATABASE,
  RESULTS_DATABASE_SERVER_CA,
  shop,
} from '../../lib/platform';
import { throwawayCa } from '../../lib/runtime/test-support/tls';
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

const pki = mkdtempSync(path.join(tmpdir(), 'charts-ca-'));
const SERVER_CA = throwawayCa(pki, 'results-db-ca').pem;
rmSync(pki, { recursive: true, force: true });
const linkedDev = {
  gcpVpnAddresses: ['198.51.100.10', '198.51.100.11'] as const,
  resultsDatabaseAddress: '10.111.0.3',
  resultsDatabaseServerCa: SERVER_CA,
};
const linked: DeploymentSettings = {
  ...DEPLOYMENT,
  environments: { ...DEPLOYMENT.environments, dev: linkedDev },
};

type Container = {
  name: string;
  env?: { name: string; valueFrom?: Json }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};
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

    test("the URL the template renders verifies the server's chain against the mounted CA, not its name", () => {
      const secret = {
        username: 'analytics_gateway',
        password: 'p4ss',
        host: '10.111.0.3',
        port: 5432,
        dbname: 'analytics',
      };
      const url = new URL(
        RESULTS_DATABASE_URL_TEMPLATE.replace(/\{\{ \.(\w+)( \| urlquery)? \}\}/g, (_m, key: string) =>
          String(secret[key as keyof typeof secret]),
        ),
      );
      expect([url.hostname, url.port, url.pathname, url.username]).toEqual([
        '10.111.0.3',
        '5432',
        '/analytics',
        'analytics_gateway',
      ]);
      // libpq's verify-ca (node-postgres reads verify-ca as verify-full without uselibpqcompat): the chain is checked
      // against the file, the name is not (Cloud SQL's certificate names the instance, not the private address).
      // services/api-gateway/adapters/analytics-windows-tls.test.ts connects with it to a real server.
      expect(Object.fromEntries(url.searchParams)).toEqual({
        sslmode: 'verify-ca',
        uselibpqcompat: 'true',
        sslrootcert: RESULTS_DATABASE_SERVER_CA.path,
      });
    });

    test("the server CA is a ConfigMap (not a secret), mounted read-only into the gateway only, where the URL's sslrootcert names it", () => {
      const configMap = named(objects, 'ConfigMap', RESULTS_DATABASE_SERVER_CA.configMap) as Json;
      expect(configMap.data).toEqual({ [RESULTS_DATABASE_SERVER_CA.key]: SERVER_CA });
      const deployments = ofKind(objects, 'Deployment') as Json[];
      const mounting = deployments.filter((d) =>
        (d.spec.template.spec.volumes as Json[]).some(
          (v) => v.configMap?.name === RESULTS_DATABASE_SERVER_CA.configMap,
        ),
      );
      expect(mounting.map((d) => d.metadata.name)).toEqual([RESULTS_DATABASE.reader]);
      const [gateway] = mounting;
      const volume = (gateway.spec.template.spec.volumes as Json[]).find(
        (v) => v.configMap?.name === RESULTS_DATABASE_SERVER_CA.configMap,
      );
      const [container] = gateway.spec.template.spec.containers as Container[];
      const mount = container?.volumeMounts?.find((m) => m.name === volume.name);
      expect(mount).toEqual({ name: volume.name, mountPath: RESULTS_DATABASE_SERVER_CA.directory, readOnly: true });
      const [item] = volume.configMap.items as { key: string; path: string }[];
      expect(path.posix.join(mount?.mountPath ?? '', item?.path ?? '')).toBe(RESULTS_DATABASE_SERVER_CA.path);
      expect(item?.key).toBe(RESULTS_DATABASE_SERVER_CA.key);
    });

    test('a new server CA rolls the gateway, and only the gateway', () => {
      const hashes = (objects: readonly KubernetesObject[]) =>
        Object.fromEntries(
          (ofKind(objects, 'Deployment') as Json[]).map((d) => [
            d.metadata.name,
            d.spec.template.metadata.annotations['shopfront.io/config-hash'],
          ]),
        );
      const rotated = platformOf({
        ...linked,
        environments: {
          ...linked.environments,
          dev: { ...linkedDev, resultsDatabaseServerCa: `${SERVER_CA}${SERVER_CA}` },
        },
      });
      const before = hashes(objects);
      const after = hashes(rotated);
      const changed = Object.keys(before).filter((name) => before[name] !== after[name]);
      expect(changed).toEqual([RESULTS_DATABASE.reader]);
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
      expect(ofKind(objects, 'ConfigMap').map((c) => c.metadata?.name)).not.toContain(
        RESULTS_DATABASE_SERVER_CA.configMap,
      );
    });
  });
});
