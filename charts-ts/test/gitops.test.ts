import { DEPLOY_VALUES, DEPLOYMENT, GITOPS_SYNC_RETRY, retrySeconds, shop } from '../../lib/platform';
import { type Json, named, ofKind, synth } from './helpers';

const dev = synth();

describe('Argo CD add-ons (apps/)', () => {
  test('child Applications per component group sync automatically with prune and self-heal', () => {
    const apps = ofKind(dev.gitops, 'Application') as Json[];
    expect(apps.map((a) => a.metadata.name).sort()).toEqual([
      'shopfront-dev-logging',
      'shopfront-dev-observability',
      'shopfront-dev-tracing',
    ]);
    for (const a of apps) {
      expect(a.metadata.namespace).toBe('argocd');
      expect(a.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(a.spec.source).toBeUndefined();
      // The Cluster stack's add-ons root Application replaces the first source's repository and revision.
      expect(a.spec.sources[0]).toMatchObject({
        repoURL: DEPLOY_VALUES.repository,
        targetRevision: DEPLOYMENT.gitRevision,
      });
    }
    expect((named(dev.gitops, 'Application', 'shopfront-dev-logging') as Json).spec.sources).toEqual([
      { repoURL: DEPLOY_VALUES.repository, targetRevision: DEPLOYMENT.gitRevision, path: 'deploy/k8s/dev/logging' },
    ]);
    expect((named(dev.gitops, 'Application', 'shopfront-dev-tracing') as Json).spec).toMatchObject({
      destination: { namespace: 'tracing' },
      sources: [{ repoURL: DEPLOY_VALUES.repository, path: 'deploy/k8s/dev/tracing' }],
    });
  });

  test('the add-ons project limits repositories, namespaces and cluster kinds', () => {
    const project = named(dev.gitops, 'AppProject', 'shopfront-dev-addons') as Json;
    expect(project.spec.sourceRepos).toEqual([
      DEPLOY_VALUES.repository,
      'https://prometheus-community.github.io/helm-charts',
      'https://grafana.github.io/helm-charts',
    ]);
    expect(project.spec.destinations.map((d: Json) => d.namespace)).toEqual(['monitoring', 'logging', 'tracing']);
    expect(project.spec.clusterResourceWhitelist.map((k: Json) => k.kind)).toEqual([
      'Namespace',
      'ClusterRole',
      'ClusterRoleBinding',
    ]);
    // The add-ons' own root Application and its project are the Cluster stack's, never synced from here.
    expect(ofKind(dev.gitops, 'AppProject').map((p) => p.metadata.name)).toEqual(['shopfront-dev-addons']);
  });

  test('the platform folder fits the Cluster stack root project: namespace shopfront, cluster kind Namespace only', () => {
    for (const env of shop.environmentNames) {
      for (const o of synth(shop, env).platform) {
        if (o.metadata.namespace === undefined) expect(o.kind).toBe('Namespace');
        else expect(o.metadata.namespace).toBe('shopfront');
      }
    }
  });
});

describe('sync order', () => {
  const wave = (o: { metadata: Json }) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']);
  const waves = (objects: Json[], kind: string) => objects.filter((o) => o.kind === kind).map(wave);

  test('every object of the platform and apps folders has a sync wave', () => {
    for (const o of [...dev.platform, ...dev.gitops] as Json[])
      expect({ o: o.metadata.name, w: wave(o) }).toEqual({ o: o.metadata.name, w: expect.any(Number) });
  });

  test('secrets, configuration and policies before the pods; the pods before the load balancer', () => {
    const objects = dev.platform as Json[];
    const deployments = Math.min(...waves(objects, 'Deployment'));
    for (const kind of ['Namespace', 'SecretStore', 'ExternalSecret', 'ConfigMap', 'ServiceAccount', 'NetworkPolicy']) {
      expect({ kind, latest: Math.max(...waves(objects, kind)) }).toEqual({ kind, latest: expect.any(Number) });
      expect(Math.max(...waves(objects, kind))).toBeLessThan(deployments);
    }
    expect(Math.max(...waves(objects, 'SecretStore'))).toBeLessThan(Math.min(...waves(objects, 'ExternalSecret')));
    expect(Math.min(...waves(objects, 'Ingress'))).toBeGreaterThan(Math.max(...waves(objects, 'Deployment')));
  });

  test('AppProjects before the Applications that name them', () => {
    const objects = dev.gitops as Json[];
    expect(Math.max(...waves(objects, 'AppProject'))).toBeLessThan(Math.min(...waves(objects, 'Application')));
  });

  test('every Application retries for about an hour, long enough for a fresh cluster', () => {
    for (const a of ofKind(dev.gitops, 'Application') as Json[]) {
      expect(a.spec.syncPolicy.retry).toEqual(GITOPS_SYNC_RETRY);
    }
    expect(retrySeconds(GITOPS_SYNC_RETRY)).toBeGreaterThanOrEqual(45 * 60);
  });
});
