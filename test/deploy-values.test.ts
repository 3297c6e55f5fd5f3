/**
 * The Cluster stack (infra/aws) and the rendered manifests (charts-ts) agree on the deploy values without importing
 * each other: the root Applications' Kustomize image overrides and patches, applied here to the objects charts-ts
 * renders, must each hit an object and leave no placeholder behind.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { resolveK8sConfig } from '../charts-ts/config';
import { buildEnvironment, type KubernetesObject, objectsOf } from '../charts-ts/render';
import { buildAwsApp } from '../infra/aws/app';
import { GIT_REPO_URL, joinedJson, newApp, resourcesOf, testConfig } from '../infra/aws/test/fixture';
import { DEPLOY_VALUES, shop } from '../lib/platform';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON is untyped
type Json = Record<string, any>;
type Op = { op: 'add' | 'replace' | 'remove' | 'test'; path: string; value?: unknown };

/** RFC 6902 on plain objects, the operations the root Applications use (JSON Pointer with ~0 and ~1). */
function applyPatch(target: Json, ops: readonly Op[]): void {
  for (const { op, path, value } of ops) {
    const keys = path
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop() as string;
    let parent: Json = target;
    for (const key of keys) {
      if (parent[key] === undefined) throw new Error(`${op} ${path}: no ${key}`);
      parent = parent[key];
    }
    if (op === 'test') {
      expect({ path, value: parent[last] }).toEqual({ path, value });
    } else if (op === 'remove') delete parent[last];
    else if (op === 'replace' && !(last in parent)) throw new Error(`replace ${path}: nothing to replace`);
    else parent[last] = value;
  }
}

const matches = (o: KubernetesObject, target: Json): boolean =>
  o.kind === target.kind &&
  (target.name === undefined || o.metadata.name === target.name) &&
  (target.group === undefined || o.apiVersion.split('/')[0] === target.group);

/** What Argo CD's Kustomize source does with `kustomize.images` and `kustomize.patches`; counts each one's hits. */
function kustomize(objects: KubernetesObject[], kustomization: Json): { objects: Json[]; unused: string[] } {
  const copies = structuredClone(objects) as Json[];
  const unused: string[] = [];
  for (const image of (kustomization.images ?? []) as string[]) {
    const [name, replacement] = image.split('=') as [string, string];
    let hits = 0;
    for (const o of copies.filter((c) => c.kind === 'Deployment')) {
      for (const container of o.spec.template.spec.containers) {
        if (container.image.split(':')[0] === name) {
          container.image = replacement;
          hits++;
        }
      }
    }
    if (hits === 0) unused.push(`image ${name}`);
  }
  for (const patch of (kustomization.patches ?? []) as Json[]) {
    const targets = copies.filter((o) => matches(o as KubernetesObject, patch.target));
    if (targets.length === 0) unused.push(`patch of ${JSON.stringify(patch.target)}`);
    for (const o of targets) applyPatch(o, JSON.parse(patch.patch));
  }
  return { objects: copies, unused };
}

const ENDPOINT = { hostname: 'api.dev.shop.example.org', hostedZoneId: 'Z0123456789ABCDEFGHIJ' };
const stacks = buildAwsApp(newApp(), {
  ...testConfig(['dev']),
  imageTags: { dev: 'git-3f2a1bc' },
  publicEndpoints: { dev: ENDPOINT },
}).get('dev');
if (!stacks) throw new Error('no dev stacks');
const cluster = Template.fromStack(stacks.cluster);
const [root] = resourcesOf(cluster, 'Custom::AWSCDK-EKS-KubernetesResource').filter(([, p]) =>
  JSON.stringify(p.Manifest).includes('\\"kind\\":\\"Application\\"'),
);
const applications = (joinedJson(root?.[1].Manifest) as unknown as Json[]).filter((o) => o.kind === 'Application');
const source = (name: string): Json => applications.find((a) => a.metadata.name === name)?.spec.source;
const charts = buildEnvironment(shop, resolveK8sConfig(shop.environment('dev')));

describe('deploy values from the Cluster stack reach the rendered manifests', () => {
  const platform = kustomize(objectsOf(charts.platform), source('shopfront-dev').kustomize);
  const addons = kustomize(objectsOf(charts.gitops), source('shopfront-dev-addons').kustomize);

  test('every image override and patch hits a rendered object', () => {
    expect([...platform.unused, ...addons.unused]).toEqual([]);
  });

  test('every Deployment runs its image from the environment registry with the deployed tag', () => {
    const images = platform.objects
      .filter((o) => o.kind === 'Deployment')
      .map((o) => o.spec.template.spec.containers[0].image);
    expect(images).toEqual(
      shop.containers.map(
        (s) => `<Ref:AWS::AccountId>.dkr.ecr.eu-west-1.<Ref:AWS::URLSuffix>/shopfront/${s.name}:git-3f2a1bc`,
      ),
    );
  });

  test('the brokers, the certificate and the host are filled in', () => {
    const values = platform.objects.find((o) => o.metadata.name === DEPLOY_VALUES.configMap);
    expect(values?.data[DEPLOY_VALUES.kafkaBrokersKey]).toMatch(/^<Ref:SsmParameterValue.*kafka.*bootstrap/i);
    const ingress = platform.objects.find((o) => o.kind === 'Ingress');
    expect(ingress?.metadata.annotations['alb.ingress.kubernetes.io/certificate-arn']).toMatch(/^<Ref:.*Certificate/);
    expect(ingress?.spec.rules[0].host).toBe(ENDPOINT.hostname);
  });

  test('the add-ons name the deployed repository and revision, and the placeholder is gone', () => {
    const text = JSON.stringify(addons.objects);
    expect(text).not.toContain(DEPLOY_VALUES.repository);
    for (const app of addons.objects.filter((o) => o.kind === 'Application')) {
      expect(app.spec.sources[0]).toMatchObject({ repoURL: GIT_REPO_URL, targetRevision: 'main' });
    }
    const project = addons.objects.find((o) => o.kind === 'AppProject');
    expect(project?.spec.sourceRepos[0]).toBe(GIT_REPO_URL);
  });
});
