import { DEPLOYMENT, shop } from '../../lib/platform';
import { type Json, named, ofKind, synth } from './helpers';

const dev = synth();

describe('Argo CD app-of-apps', () => {
  test('child Applications per component group sync automatically with prune and self-heal', () => {
    const apps = ofKind(dev.gitops, 'Application') as Json[];
    expect(apps.map((a) => a.metadata.name).sort()).toEqual([
      'shopfront-dev-addons',
      'shopfront-dev-logging',
      'shopfront-dev-observability',
    ]);
    for (const a of apps) {
      expect(a.metadata.namespace).toBe('argocd');
      expect(a.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      const sources = a.spec.sources ?? [a.spec.source];
      expect(sources[0]).toMatchObject({ repoURL: DEPLOYMENT.gitRepoUrl, targetRevision: 'main' });
    }
    expect(named(dev.gitops, 'Application', 'shopfront-dev-addons')).toMatchObject({
      spec: { project: 'shopfront-dev-bootstrap', source: { path: 'deploy/k8s/dev/apps' } },
    });
    expect((named(dev.gitops, 'Application', 'shopfront-dev-logging') as Json).spec.source.path).toBe(
      'deploy/k8s/dev/logging',
    );
  });

  test('the add-ons project limits repositories, namespaces and cluster kinds', () => {
    const project = named(dev.gitops, 'AppProject', 'shopfront-dev-addons') as Json;
    expect(project.spec.sourceRepos).toEqual([
      DEPLOYMENT.gitRepoUrl,
      'https://prometheus-community.github.io/helm-charts',
      'https://grafana.github.io/helm-charts',
    ]);
    expect(project.spec.destinations.map((d: Json) => d.namespace)).toEqual(['monitoring', 'logging']);
    expect(project.spec.clusterResourceWhitelist.map((k: Json) => k.kind)).toEqual([
      'Namespace',
      'ClusterRole',
      'ClusterRoleBinding',
    ]);
    const bootstrap = named(dev.gitops, 'AppProject', 'shopfront-dev-bootstrap') as Json;
    expect(bootstrap.spec.destinations).toEqual([{ server: 'https://kubernetes.default.svc', namespace: 'argocd' }]);
    expect(bootstrap.spec.clusterResourceWhitelist).toEqual([]);
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
