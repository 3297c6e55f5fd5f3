import { aws_ec2 as ec2, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { containerLogGroupName, DEPLOYMENT, LOG_SHIPPER, shop } from '../../../lib/platform';
import { buildAwsApp } from '../app';
import {
  EKS_ADDON_VERSIONS,
  HELM_CHART_VERSIONS,
  KUBERNETES_VERSION,
  LOAD_BALANCER_CONTROLLER_VERSION,
} from '../cluster-versions';
import { PIPELINE_GROUP } from '../constructs/cluster-access';
import { TraceIngress } from '../constructs/trace-ingress';
import { joinedJson, newApp, resourcesOf, stacksOf, templates, testConfig } from './fixture';

const dev = templates('dev').cluster;
const prod = templates('prod').cluster;

type Props = Record<string, unknown>;
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const addons = (template: Template): Map<string, Props & { id: string }> =>
  new Map(resourcesOf(template, 'AWS::EKS::Addon').map(([id, p]) => [p.AddonName as string, { id, ...p }]));

function helmChart(template: Template, chart: string): Props & { id: string; values: Record<string, unknown> } {
  const found = resourcesOf(template, 'Custom::AWSCDK-EKS-HelmChart').find(([, p]) => p.Chart === chart);
  if (!found) throw new Error(`no Helm chart ${chart}`);
  return { ...found[1], id: found[0], values: joinedJson(found[1].Values) };
}

function podIdentityRoleOf(template: Template, namespace: string, serviceAccount: string): string {
  const found = resourcesOf(template, 'AWS::EKS::PodIdentityAssociation').find(
    ([, p]) => p.Namespace === namespace && p.ServiceAccount === serviceAccount,
  );
  if (!found) throw new Error(`no Pod Identity for ${namespace}/${serviceAccount}`);
  return (found[1].RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] as string;
}

function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Roles).includes(`"${roleLogicalId}"`))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The Kubernetes objects the stack applies whose manifests hold no deploy-time value. */
const manifestsOf = (template: Template): Record<string, unknown>[] =>
  resourcesOf(template, 'Custom::AWSCDK-EKS-KubernetesResource')
    .map(([, p]) => p.Manifest)
    .filter((m): m is string => typeof m === 'string')
    .flatMap((m) => JSON.parse(m) as Record<string, unknown>[]);

const dependsOn = (template: Template, logicalId: string): string[] =>
  (template.toJSON().Resources[logicalId].DependsOn ?? []) as string[];

describe('EKS managed add-ons', () => {
  it('runs exactly the pinned add-ons, at their pinned versions, taking over the self-managed copies', () => {
    for (const template of [dev, prod]) {
      const running = addons(template);
      expect(Object.fromEntries([...running].map(([name, a]) => [name, a.AddonVersion]))).toEqual(EKS_ADDON_VERSIONS);
      for (const addon of running.values()) expect(addon.ResolveConflicts).toBe('OVERWRITE');
    }
  });

  it('runs kube-proxy of the cluster minor version', () => {
    dev.hasResourceProperties('AWS::EKS::Cluster', { Version: KUBERNETES_VERSION.version });
    expect(addons(dev).get('kube-proxy')?.AddonVersion).toMatch(new RegExp(`^v${KUBERNETES_VERSION.version}\\.`));
  });

  it('enforces NetworkPolicies with the VPC CNI', () => {
    const cni = addons(dev).get('vpc-cni');
    expect(JSON.parse(cni?.ConfigurationValues as string)).toEqual({ enableNetworkPolicy: 'true' });
  });

  it('installs metrics-server, which the HorizontalPodAutoscalers read', () => {
    expect(addons(dev).get('metrics-server')?.AddonVersion).toBe(EKS_ADDON_VERSIONS['metrics-server']);
  });

  it('creates the add-ons that run pods after the nodes they run on', () => {
    const [[nodegroupId]] = resourcesOf(dev, 'AWS::EKS::Nodegroup') as [[string, Props]];
    for (const addon of addons(dev).values()) expect(dependsOn(dev, addon.id)).toContain(nodegroupId);
  });

  it("gives the EBS CSI driver's controller a Pod Identity role with the driver policy", () => {
    const ebs = addons(dev).get('aws-ebs-csi-driver');
    const associations = ebs?.PodIdentityAssociations as {
      ServiceAccount: string;
      RoleArn: { 'Fn::GetAtt': string[] };
    }[];
    expect(associations.map((a) => a.ServiceAccount)).toEqual(['ebs-csi-controller-sa']);
    const roleId = associations[0]?.RoleArn['Fn::GetAtt'][0] as string;
    const role = dev.toJSON().Resources[roleId].Properties;
    expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain('pods.eks.amazonaws.com');
    expect(JSON.stringify(role.ManagedPolicyArns)).toContain('service-role/AmazonEBSCSIDriverPolicy');
    expect(dependsOn(dev, ebs?.id as string)).toContain(addons(dev).get('eks-pod-identity-agent')?.id);
  });

  it('makes encrypted gp3 volumes from the EBS CSI driver the default StorageClass', () => {
    const classes = manifestsOf(dev).filter((m) => m.kind === 'StorageClass');
    expect(classes).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({
          name: 'gp3',
          annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
        }),
        provisioner: 'ebs.csi.aws.com',
        parameters: { type: 'gp3', encrypted: 'true' },
        volumeBindingMode: 'WaitForFirstConsumer',
      }),
    ]);
  });
});

describe('node autoscaling', () => {
  const clusterName = 'shopfront-dev-eks';

  it('installs the pinned Cluster Autoscaler chart, discovering this cluster', () => {
    const chart = helmChart(dev, 'cluster-autoscaler');
    expect(chart).toMatchObject({
      Version: HELM_CHART_VERSIONS['cluster-autoscaler'],
      Repository: 'https://kubernetes.github.io/autoscaler',
      Namespace: 'kube-system',
    });
    expect(chart.values).toMatchObject({
      cloudProvider: 'aws',
      awsRegion: 'eu-west-1',
      autoDiscovery: { clusterName },
      rbac: { serviceAccount: { create: true, name: 'cluster-autoscaler' } },
    });
  });

  it('tags the node group for discovery, within the catalog bounds', () => {
    dev.hasResourceProperties('AWS::EKS::Nodegroup', {
      Tags: { 'k8s.io/cluster-autoscaler/enabled': 'true', [`k8s.io/cluster-autoscaler/${clusterName}`]: 'owned' },
      ScalingConfig: { MinSize: 2, MaxSize: 4 },
    });
  });

  it('runs with a Pod Identity role that resizes only the groups tagged as this cluster', () => {
    dev.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'kube-system',
      ServiceAccount: 'cluster-autoscaler',
    });
    const set = stacksOf('dev');
    const statements = statementsOfRole(
      dev,
      set.cluster.getLogicalId(set.cluster.autoscaler.role.node.defaultChild as never),
    );
    const writes = statements.filter((s) => JSON.stringify(s.Action).includes('SetDesiredCapacity'));
    expect(writes).toEqual([
      expect.objectContaining({
        Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: 'owned' } },
      }),
    ]);
    const describeNodegroup = statements.find((s) => s.Action === 'eks:DescribeNodegroup');
    expect(JSON.stringify(describeNodegroup?.Resource)).toMatch(/NodegroupWorkers/);
    const unconditioned = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat());
    expect(unconditioned.every((a) => /^(autoscaling|ec2):(Describe|Get)/.test(a))).toBe(true);
  });

  it('waits for its identity before it starts', () => {
    const [[chartId]] = resourcesOf(dev, 'Custom::AWSCDK-EKS-HelmChart').filter(
      ([, p]) => p.Chart === 'cluster-autoscaler',
    ) as [[string, Props]];
    const [[associationId]] = resourcesOf(dev, 'AWS::EKS::PodIdentityAssociation').filter(
      ([, p]) => p.ServiceAccount === 'cluster-autoscaler',
    ) as [[string, Props]];
    expect(dependsOn(dev, chartId)).toContain(associationId);
  });

  it.each(['cluster-autoscaler', 'aws-load-balancer-controller'])(
    '%s starts after the nodes and the Pod Identity agent',
    (name) => {
      const [[nodegroupId]] = resourcesOf(dev, 'AWS::EKS::Nodegroup') as [[string, Props]];
      const agentId = addons(dev).get('eks-pod-identity-agent')?.id;
      expect(dependsOn(dev, helmChart(dev, name).id)).toEqual(expect.arrayContaining([nodegroupId, agentId]));
    },
  );
});

describe('AWS Load Balancer Controller', () => {
  const chart = helmChart(dev, 'aws-load-balancer-controller');

  it('is a current v2 release from its pinned chart', () => {
    const [, minor] = /^v2\.(\d+)\.\d+$/.exec(LOAD_BALANCER_CONTROLLER_VERSION.version) ?? [];
    expect(Number(minor)).toBeGreaterThanOrEqual(13);
    expect(chart).toMatchObject({
      Version: LOAD_BALANCER_CONTROLLER_VERSION.helmChartVersion,
      Repository: 'https://aws.github.io/eks-charts',
      Namespace: 'kube-system',
      Wait: true,
    });
    expect(chart.values).toMatchObject({
      clusterName: expect.stringMatching(/^<Ref:Cluster/),
      region: 'eu-west-1',
      vpcId: expect.any(String),
    });
  });

  it('runs with a Pod Identity role holding the upstream policy of its version, not IRSA', () => {
    expect(chart.values.serviceAccount).toEqual({ create: true, name: 'aws-load-balancer-controller' });
    expect(JSON.stringify(chart.values)).not.toContain('eks.amazonaws.com/role-arn');
    const roleId = podIdentityRoleOf(dev, 'kube-system', 'aws-load-balancer-controller');
    const role = dev.toJSON().Resources[roleId].Properties;
    expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain('pods.eks.amazonaws.com');
    const actions = statementsOfRole(dev, roleId).flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining([
        'elasticloadbalancing:CreateLoadBalancer',
        'elasticloadbalancing:DescribeListenerAttributes',
        'wafv2:AssociateWebACL',
      ]),
    );
    const [[associationId]] = resourcesOf(dev, 'AWS::EKS::PodIdentityAssociation').filter(
      ([, p]) => p.ServiceAccount === 'aws-load-balancer-controller',
    ) as [[string, Props]];
    expect(dependsOn(dev, chart.id)).toContain(associationId);
  });

  it('blocks no Service creation while it starts, and is up before ArgoCD syncs the Ingress', () => {
    expect(chart.values.enableServiceMutatorWebhook).toBe(false);
    const [[rootId]] = resourcesOf(dev, 'Custom::AWSCDK-EKS-KubernetesResource').filter(([, p]) =>
      JSON.stringify(p.Manifest).includes('\\"kind\\":\\"Application\\"'),
    ) as [[string, Props]];
    expect(dependsOn(dev, rootId)).toContain(chart.id);
  });

  it('leaves no IAM OIDC provider, since nothing uses IRSA any more', () => {
    dev.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    dev.resourceCountIs('Custom::AWSCDKOpenIdConnectProvider', 0);
  });

  it('puts every load balancer of class alb behind a web ACL with the AWS common rule set', () => {
    const [[aclId, acl]] = resourcesOf(dev, 'AWS::WAFv2::WebACL') as [[string, Props]];
    expect(acl).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    expect(acl.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } },
          OverrideAction: { None: {} },
        }),
      ]),
    );
    expect(chart.values.ingressClassParams).toEqual({ spec: { wafv2AclArn: `<${aclId}.Arn>` } });
  });
});

describe('log shipping', () => {
  it('keeps every container log in an encrypted group with the catalog retention', () => {
    const groups = resourcesOf(dev, 'AWS::Logs::LogGroup').filter(
      ([, p]) => p.LogGroupName === containerLogGroupName(shop.environment('dev')),
    );
    expect(groups.map(([, p]) => p)).toEqual([
      expect.objectContaining({
        RetentionInDays: shop.environment('dev').logRetentionDays,
        KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterKey/), 'Arn'] },
      }),
    ]);
  });

  it("gives Fluent Bit's ServiceAccount a Pod Identity that may write only that group", () => {
    const roleId = podIdentityRoleOf(dev, LOG_SHIPPER.namespace, LOG_SHIPPER.serviceAccount);
    const [[groupId]] = resourcesOf(dev, 'AWS::Logs::LogGroup').filter(
      ([, p]) => p.LogGroupName === containerLogGroupName(shop.environment('dev')),
    ) as [[string, Props]];
    expect(statementsOfRole(dev, roleId)).toEqual([
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [groupId, 'Arn'] },
      }),
    ]);
  });
});

describe('cluster access', () => {
  const entries = (template: Template) => resourcesOf(template, 'AWS::EKS::AccessEntry').map(([, p]) => p);
  const policyOf = (entry: Props) =>
    (entry.AccessPolicies as { AccessScope: unknown; PolicyArn: { 'Fn::Join': [string, unknown[]] } }[]).map((a) => ({
      scope: a.AccessScope,
      policy: String(a.PolicyArn['Fn::Join'][1].at(-1)).split('/').at(-1),
    }));

  it('admits only its kubectl handler in dev, where no operator or pipeline role is configured', () => {
    const principals = entries(dev).map((e) => JSON.stringify(e.PrincipalArn));
    expect(principals).toEqual([expect.stringContaining('KubectlProviderHandler')]);
  });

  it('makes the configured operator role cluster admin', () => {
    const prodAccess = DEPLOYMENT.environments.prod;
    const operator = entries(prod).find((e) => e.PrincipalArn === prodAccess.operatorRoleArn);
    expect(operator && policyOf(operator)).toEqual([
      { scope: { Type: 'cluster' }, policy: 'AmazonEKSClusterAdminPolicy' },
    ]);
  });

  it('lets the configured pipeline role read the platform and manage Argo CD objects, nothing more', () => {
    const pipeline = entries(prod).find((e) => e.PrincipalArn === DEPLOYMENT.environments.prod.pipelineRoleArn);
    expect(pipeline && policyOf(pipeline)).toEqual([
      { scope: { Type: 'namespace', Namespaces: ['shopfront', 'argocd'] }, policy: 'AmazonEKSViewPolicy' },
    ]);
    expect(pipeline?.KubernetesGroups).toEqual([PIPELINE_GROUP]);
    const rbac = manifestsOf(prod).filter((m) => (m.metadata as Props).name === 'shopfront-pipeline');
    const role = rbac.find((m) => m.kind === 'Role') as { metadata: Props; rules: Props[] };
    expect(role.metadata.namespace).toBe('argocd');
    expect(role.rules).toEqual([
      {
        apiGroups: ['argoproj.io'],
        resources: ['applications', 'appprojects'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'],
      },
    ]);
    const binding = rbac.find((m) => m.kind === 'RoleBinding') as { subjects: Props[]; roleRef: Props };
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: PIPELINE_GROUP }]);
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'shopfront-pipeline' });
  });

  it('takes the roles from the configuration of the environment', () => {
    const operatorRoleArn = 'arn:aws:iam::123456789012:role/dev-operators';
    const sets = buildAwsApp(newApp(), { ...testConfig(['dev']), clusterAccess: { dev: { operatorRoleArn } } });
    const cluster = sets.get('dev')?.cluster;
    if (!cluster) throw new Error('no dev cluster stack');
    const principals = entries(Template.fromStack(cluster)).map((e) => e.PrincipalArn);
    expect(principals).toContain(operatorRoleArn);
    expect(principals).toHaveLength(2);
  });
});

describe('the trace ingress', () => {
  const balancer = (template: Template) =>
    resourcesOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').map(([, p]) => p);

  test('is deletion-protected where the catalog protects the environment', () => {
    expect(shop.environment('prod').deletionProtection).toBe(true);
    const attributes = (p: Props) => JSON.stringify(p.LoadBalancerAttributes);
    expect(balancer(prod).map(attributes)).toEqual([
      expect.stringContaining('"deletion_protection.enabled","Value":"true"'),
    ]);
    expect(balancer(dev).map(attributes)).toEqual([
      expect.stringContaining('"deletion_protection.enabled","Value":"false"'),
    ]);
  });

  test.each([
    ['a name longer than 32 characters', 'shopfront-development-otlp-collector'],
    ['a name with other characters', 'shopfront_dev_otlp'],
  ])('refuses %s for its target group', (_what, targetGroupName) => {
    const stack = new Stack(newApp(), 'TraceIngressTest');
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const workloads = new ec2.SecurityGroup(stack, 'Workloads', { vpc });
    expect(() => new TraceIngress(stack, 'TraceIngress', { vpc, workloads, targetGroupName })).toThrow(
      `'targetGroupName' must be at most 32 letters, digits and hyphens, got '${targetGroupName}'`,
    );
  });
});
