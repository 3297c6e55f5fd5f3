import { Match, Template } from 'aws-cdk-lib/assertions';
import { DEPLOY_VALUES, GITOPS_SYNC_RETRY, retrySeconds, shop } from '../../../lib/platform';
import { buildAwsApp } from '../app';
import { canonical, GIT_REPO_URL, joinedJson, newApp, resourcesOf, testConfig } from './fixture';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON is untyped
type Json = Record<string, any>;

const ENDPOINT = { hostname: 'api.dev.shop.example.org', hostedZoneId: 'Z0123456789ABCDEFGHIJ' };

function devStacks(withEndpoint: boolean) {
  const config = {
    ...testConfig(['dev']),
    imageTags: { dev: 'git-3f2a1bc' },
    ...(withEndpoint ? { publicEndpoints: { dev: ENDPOINT } } : {}),
  };
  const stacks = buildAwsApp(newApp(), config).get('dev');
  if (!stacks) throw new Error('no dev stacks');
  return stacks;
}

const clusterTemplate = (withEndpoint: boolean): Template => Template.fromStack(devStacks(withEndpoint).cluster);

/** The Argo CD objects the Cluster stack applies, deploy-time values written as `<Ref:X>` / `<X.Attr>`. */
function gitopsObjects(template: Template): Json[] {
  const [found] = resourcesOf(template, 'Custom::AWSCDK-EKS-KubernetesResource').filter(([, p]) =>
    JSON.stringify(p.Manifest).includes('\\"kind\\":\\"Application\\"'),
  );
  if (!found) throw new Error('no root Application');
  return joinedJson(found[1].Manifest) as unknown as Json[];
}

const named = (objects: Json[], kind: string, name: string): Json => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

const stacks = devStacks(true);
const template = Template.fromStack(stacks.cluster);
const dataStack = stacks.data;
const objects = gitopsObjects(template);
const platform = named(objects, 'Application', 'shopfront-dev');
const addons = named(objects, 'Application', 'shopfront-dev-addons');
const patchesOf = (app: Json) =>
  (app.spec.source.kustomize.patches as Json[]).map((p) => ({ target: p.target, ops: JSON.parse(p.patch) }));

describe('the root Applications pass what only the deployment knows', () => {
  test('every service image points at the stack account registry, with the configured tag', () => {
    expect(platform.spec.source.kustomize.images).toEqual(
      shop.containers.map(
        (s) =>
          `shopfront/${s.name}=<Ref:AWS::AccountId>.dkr.ecr.eu-west-1.<Ref:AWS::URLSuffix>/shopfront/${s.name}:git-3f2a1bc`,
      ),
    );
  });

  test('the deploy-values ConfigMap gets the MSK brokers from the SSM parameter the Data stack writes', () => {
    const [configMap] = patchesOf(platform).filter((p) => p.target.kind === 'ConfigMap');
    expect(configMap?.target).toEqual({ version: 'v1', kind: 'ConfigMap', name: DEPLOY_VALUES.configMap });
    const parameters = Object.entries(template.toJSON().Parameters as Record<string, Json>).filter(
      ([, p]) => p.Default === '/shopfront/dev/kafka/bootstrap-brokers-iam',
    );
    expect(parameters.map(([, p]) => p.Type)).toEqual(['AWS::SSM::Parameter::Value<String>']);
    expect(configMap?.ops).toEqual([
      { op: 'add', path: '/data', value: { KAFKA_BROKERS: `<Ref:${parameters[0]?.[0]}>` } },
    ]);
    // Not an export of the Data stack: the broker list may change while the Cluster stack uses it.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/ImportValue[^}]*BootstrapBrokers/);
    const data = Template.fromStack(dataStack);
    data.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/shopfront/dev/kafka/bootstrap-brokers-iam',
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaBootstrapBrokers'), 'BootstrapBrokerStringSaslIam'] },
    });
  });

  test("each public Ingress gets the host and the stack's DNS-validated certificate", () => {
    const ingress = patchesOf(platform).filter((p) => p.target.kind === 'Ingress');
    expect(ingress.map((p) => p.target.name)).toEqual(shop.containers.filter((s) => s.public).map((s) => s.name));
    const [[certificateId]] = resourcesOf(template, 'AWS::CertificateManager::Certificate') as [[string, unknown]];
    expect(ingress[0]?.ops).toEqual([
      {
        op: 'add',
        path: '/metadata/annotations/alb.ingress.kubernetes.io~1certificate-arn',
        value: `<Ref:${certificateId}>`,
      },
      { op: 'add', path: '/spec/rules/0/host', value: ENDPOINT.hostname },
    ]);
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: ENDPOINT.hostname,
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: ENDPOINT.hostname, HostedZoneId: ENDPOINT.hostedZoneId }],
    });
  });

  test('without a configured endpoint there is no certificate and no Ingress patch', () => {
    const bare = clusterTemplate(false);
    bare.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    const app = named(gitopsObjects(bare), 'Application', 'shopfront-dev');
    expect(patchesOf(app).map((p) => p.target.kind)).toEqual(['ConfigMap']);
  });

  test('the add-ons root syncs apps/ and replaces the repository placeholder, testing it is there first', () => {
    expect(addons.spec).toMatchObject({
      project: 'shopfront-dev-bootstrap',
      source: { repoURL: GIT_REPO_URL, targetRevision: 'main', path: 'deploy/k8s/dev/apps' },
      destination: { namespace: 'argocd' },
    });
    expect(patchesOf(addons)).toEqual([
      {
        target: { group: 'argoproj.io', kind: 'Application' },
        ops: [
          { op: 'test', path: '/spec/sources/0/repoURL', value: DEPLOY_VALUES.repository },
          { op: 'replace', path: '/spec/sources/0/repoURL', value: GIT_REPO_URL },
          { op: 'replace', path: '/spec/sources/0/targetRevision', value: 'main' },
        ],
      },
      {
        target: { group: 'argoproj.io', kind: 'AppProject' },
        ops: [
          { op: 'test', path: '/spec/sourceRepos/0', value: DEPLOY_VALUES.repository },
          { op: 'replace', path: '/spec/sourceRepos/0', value: GIT_REPO_URL },
        ],
      },
    ]);
    expect(named(objects, 'AppProject', 'shopfront-dev-bootstrap').spec).toMatchObject({
      sourceRepos: [GIT_REPO_URL],
      destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'argocd' }],
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: [
        { group: 'argoproj.io', kind: 'Application' },
        { group: 'argoproj.io', kind: 'AppProject' },
      ],
    });
  });
});

describe('the first sync on a fresh cluster', () => {
  test('the Helm releases the manifests depend on are ready before the root Applications exist', () => {
    const [[rootId]] = resourcesOf(template, 'Custom::AWSCDK-EKS-KubernetesResource').filter(([, p]) =>
      JSON.stringify(p.Manifest).includes('\\"kind\\":\\"Application\\"'),
    ) as [[string, Json]];
    const dependsOn = (template.toJSON().Resources[rootId].DependsOn ?? []) as string[];
    const [[storageClassId]] = resourcesOf(template, 'Custom::AWSCDK-EKS-KubernetesResource').filter(([, p]) =>
      JSON.stringify(p.Manifest).includes('\\"kind\\":\\"StorageClass\\"'),
    ) as [[string, Json]];
    expect(dependsOn).toContain(storageClassId);
    for (const chart of ['external-secrets', 'argo-cd', 'aws-load-balancer-controller']) {
      const [[id, props]] = resourcesOf(template, 'Custom::AWSCDK-EKS-HelmChart').filter(
        ([, p]) => p.Chart === chart,
      ) as [[string, Json]];
      expect({ chart, wait: props.Wait, before: dependsOn.includes(id) }).toEqual({
        chart,
        wait: true,
        before: true,
      });
    }
  });

  test('both root Applications sync automatically and retry for about an hour', () => {
    for (const app of [platform, addons]) {
      expect(app.spec.syncPolicy).toMatchObject({
        automated: { prune: true, selfHeal: true },
        retry: GITOPS_SYNC_RETRY,
      });
    }
    expect(retrySeconds(GITOPS_SYNC_RETRY)).toBeGreaterThanOrEqual(45 * 60);
  });
});

describe('the public name', () => {
  test('external-dns publishes the Ingress host in the configured zone only, and never deletes', () => {
    const [[, chart]] = resourcesOf(template, 'Custom::AWSCDK-EKS-HelmChart').filter(
      ([, p]) => p.Chart === 'external-dns',
    ) as [[string, Json]];
    const values = JSON.parse(String(chart.Values)) as Json;
    expect(values).toMatchObject({
      provider: { name: 'aws' },
      sources: ['ingress'],
      policy: 'upsert-only',
      extraArgs: [`--zone-id-filter=${ENDPOINT.hostedZoneId}`, '--aws-zone-type=public'],
    });
    const policies = resourcesOf(template, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('ExternalDnsRole'));
    expect(policies).toHaveLength(1);
    const [[, policy]] = policies as [[string, Json]];
    const statements = policy.PolicyDocument.Statement as Json[];
    const change = statements.find((s) => [s.Action].flat().includes('route53:ChangeResourceRecordSets'));
    expect(JSON.stringify(change?.Resource)).toContain(`:route53:::hostedzone/${ENDPOINT.hostedZoneId}`);
    template.hasOutput('ApiUrl', { Value: `https://${ENDPOINT.hostname}` });
  });

  test('without a configured endpoint there is no external-dns', () => {
    const charts = resourcesOf(clusterTemplate(false), 'Custom::AWSCDK-EKS-HelmChart').map(([, p]) => p.Chart);
    expect(charts).not.toContain('external-dns');
  });
});

describe('a private repository', () => {
  const privateRepo = buildAwsApp(newApp(), { ...testConfig(['dev']), gitRepoPrivate: true }).get('dev');
  if (!privateRepo) throw new Error('no dev stacks');
  const cluster = Template.fromStack(privateRepo.cluster);

  test('Argo CD reads it with credentials External Secrets copies from Secrets Manager', () => {
    cluster.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'shopfront-dev-git-credentials',
      KmsKeyId: Match.anyValue(),
    });
    const [[, credentials]] = resourcesOf(cluster, 'Custom::AWSCDK-EKS-KubernetesResource').filter(([, p]) =>
      JSON.stringify(p.Manifest).includes('\\"kind\\":\\"ExternalSecret\\"'),
    ) as [[string, Json]];
    const [store, externalSecret] = joinedJson(credentials.Manifest) as unknown as Json[];
    expect(store).toMatchObject({ kind: 'SecretStore', metadata: { namespace: 'argocd' } });
    expect(externalSecret?.spec).toMatchObject({
      dataFrom: [{ extract: { key: 'shopfront-dev-git-credentials' } }],
      target: {
        template: {
          metadata: { labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
          data: { type: 'git', url: GIT_REPO_URL, username: '{{ .username }}', password: '{{ .password }}' },
        },
      },
    });
  });

  test('only External Secrets may read the secret, and the root Applications wait for the credentials', () => {
    const [[policyId, policy]] = resourcesOf(cluster, 'AWS::IAM::Policy').filter(([id]) =>
      id.startsWith('RepositoryCredentialsReaderPolicy'),
    ) as [[string, Json]];
    // The role of the Data stack, named through the parameter that stack writes.
    const all = Object.values(privateRepo).map((stack) => ({
      stackName: stack.stackName,
      template: Template.fromStack(stack),
    }));
    const named = { stackName: privateRepo.cluster.stackName, template: cluster };
    expect(canonical(policy.Roles, named, all)).toEqual([
      {
        'Fn::Select': [
          1,
          {
            'Fn::Split': [
              '/',
              {
                'Fn::Select': [5, { 'Fn::Split': [':', expect.stringMatching(/-Data\/ExternalSecretsRole\w+\.Arn$/)] }],
              },
            ],
          },
        ],
      },
    ]);
    expect(policyId).toBeDefined();
    const resources = cluster.toJSON().Resources as Record<string, Json>;
    const [rootId] = Object.entries(resources).find(
      ([, r]) =>
        r.Type === 'Custom::AWSCDK-EKS-KubernetesResource' &&
        JSON.stringify(r.Properties.Manifest).includes('\\"kind\\":\\"Application\\"'),
    ) as [string, Json];
    const [credentialsId] = Object.entries(resources).find(
      ([, r]) =>
        r.Type === 'Custom::AWSCDK-EKS-KubernetesResource' &&
        JSON.stringify(r.Properties.Manifest).includes('\\"kind\\":\\"ExternalSecret\\"'),
    ) as [string, Json];
    expect(resources[rootId]?.DependsOn).toContain(credentialsId);
  });

  test('a public repository gets no credentials', () => {
    template.resourcePropertiesCountIs('AWS::SecretsManager::Secret', { Name: 'shopfront-dev-git-credentials' }, 0);
  });
});
