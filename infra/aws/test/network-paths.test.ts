import { MSK_IAM_TLS_PORT, shop, TRACE_COLLECTOR, traceIngressTargetGroupName } from '../../../lib/platform';
import { canonical, groupRules, type NamedTemplate, namedTemplates, permits, resourcesOf } from './fixture';

const all = namedTemplates('dev');
const stack = (part: string): NamedTemplate => {
  const found = all.find((t) => t.stackName.endsWith(`-${part}`));
  if (!found) throw new Error(`no ${part} stack`);
  return found;
};
const [network, data, notifications] = [stack('Network'), stack('Data'), stack('Notifications')];
const ingress = groupRules('ingress', all);
const egress = groupRules('egress', all);
const HTTPS = 443;
type Props = Record<string, unknown>;

describe('the MSK event source mapping', () => {
  // Lambda runs the mapping's pollers in the cluster's subnets with the cluster's security groups.
  const [[mappingId, mapping]] = resourcesOf(notifications.template, 'AWS::Lambda::EventSourceMapping') as [
    [string, Record<string, unknown>],
  ];
  const [[clusterId, cluster]] = resourcesOf(data.template, 'AWS::MSK::Cluster') as [
    [string, { BrokerNodeGroupInfo: { ClientSubnets: unknown[]; SecurityGroups: unknown[] } }],
  ];
  const subnets = canonical(cluster.BrokerNodeGroupInfo.ClientSubnets, data, all) as string[];
  const groups = canonical(cluster.BrokerNodeGroupInfo.SecurityGroups, data, all) as string[];

  it('reads from the cluster whose subnets and groups these are', () => {
    expect(mappingId).toBeDefined();
    expect(canonical(mapping.EventSourceArn, notifications, all)).toBe(`${data.stackName}/${clusterId}.Arn`);
    expect(subnets).toHaveLength(3);
    expect(subnets.every((s) => s.includes('isolatedSubnet'))).toBe(true);
  });

  it.each(['lambda', 'sts'])('reaches %s through an interface endpoint in its own subnets', (service) => {
    const endpoints = resourcesOf(network.template, 'AWS::EC2::VPCEndpoint').filter(
      ([, p]) => p.ServiceName === `com.amazonaws.eu-west-1.${service}`,
    );
    expect(endpoints).toHaveLength(1);
    const [[, endpoint]] = endpoints as [[string, Record<string, unknown>]];
    expect(endpoint).toMatchObject({ VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
    expect((canonical(endpoint.SubnetIds, network, all) as string[]).sort()).toEqual([...subnets].sort());
    const endpointGroups = canonical(endpoint.SecurityGroupIds, network, all) as string[];
    const path = groups.some((mappingGroup) =>
      endpointGroups.some(
        (endpointGroup) =>
          permits(egress, mappingGroup, endpointGroup, HTTPS) && permits(ingress, endpointGroup, mappingGroup, HTTPS),
      ),
    );
    expect(path).toBe(true);
  });

  it('reaches the brokers on the IAM listener with its own group', () => {
    const path = groups.some(
      (g) => permits(egress, g, g, MSK_IAM_TLS_PORT) && permits(ingress, g, g, MSK_IAM_TLS_PORT),
    );
    expect(path).toBe(true);
  });

  it('opens the endpoints to the groups that call them, not to the VPC', () => {
    const [[, endpoint]] = resourcesOf(network.template, 'AWS::EC2::VPCEndpoint').filter(
      ([, p]) => p.ServiceName === 'com.amazonaws.eu-west-1.sts',
    ) as [[string, Record<string, unknown>]];
    const endpointGroups = canonical(endpoint.SecurityGroupIds, network, all) as string[];
    const rules = ingress.filter((r) => endpointGroups.includes(r.group as string));
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.every((r) => typeof r.peer === 'string' && r.peer.endsWith('.GroupId'))).toBe(true);
  });
});

describe('the Session Manager bastion', () => {
  const cluster = stack('Cluster');
  const [[instanceId, instance]] = resourcesOf(cluster.template, 'AWS::EC2::Instance') as [[string, Props]];
  const groups = canonical(instance.SecurityGroupIds, cluster, all) as string[];

  it('is a small instance in a private subnet, with an encrypted disk and IMDSv2 only', () => {
    expect(instanceId).toMatch(/^Bastion/);
    expect(instance.InstanceType).toBe('t3.micro');
    expect(canonical(instance.SubnetId, cluster, all)).toMatch(/privateSubnet/);
    expect(instance.BlockDeviceMappings).toEqual([
      expect.objectContaining({ Ebs: expect.objectContaining({ Encrypted: true }) }),
    ]);
    const templateId = (instance.LaunchTemplate as { Version: { 'Fn::GetAtt': string[] } }).Version['Fn::GetAtt'][0];
    expect(cluster.template.toJSON().Resources[templateId as string].Properties.LaunchTemplateData).toEqual({
      MetadataOptions: { HttpTokens: 'required' },
    });
  });

  it('is reached through Session Manager only: the SSM managed policy, no inbound rule', () => {
    const profile = cluster.template.toJSON().Resources[(instance.IamInstanceProfile as { Ref: string }).Ref];
    const [roleRef] = profile.Properties.Roles as { Ref: string }[];
    const role = cluster.template.toJSON().Resources[roleRef?.Ref as string].Properties;
    expect(JSON.stringify(role.ManagedPolicyArns)).toContain(':iam::aws:policy/AmazonSSMManagedInstanceCore');
    expect(instance.KeyName).toBeUndefined();
    expect(ingress.filter((r) => groups.includes(r.group as string))).toEqual([]);
  });

  it("forwards to the cluster's private API endpoint on 443", () => {
    const [[clusterId, eks]] = resourcesOf(cluster.template, 'AWS::EKS::Cluster') as [[string, Props]];
    const endpointGroups = [
      `${cluster.stackName}/${clusterId}.ClusterSecurityGroupId`,
      ...(canonical((eks.ResourcesVpcConfig as Props).SecurityGroupIds, cluster, all) as string[]),
    ];
    expect((eks.ResourcesVpcConfig as Props).EndpointPrivateAccess).toBe(true);
    const path = groups.some((g) =>
      endpointGroups.some((e) => permits(egress, g, e, HTTPS) && permits(ingress, e, g, HTTPS)),
    );
    expect(path).toBe(true);
  });
});

describe("the notification Lambda's spans to the cluster's trace collector", () => {
  const cluster = stack('Cluster');
  const [[, fn]] = resourcesOf(notifications.template, 'AWS::Lambda::Function').filter(
    ([, p]) => (p.Environment as Props | undefined)?.Variables !== undefined,
  ) as [[string, Props]];
  const variables = (fn.Environment as { Variables: Props }).Variables;
  const functionGroups = canonical((fn.VpcConfig as Props).SecurityGroupIds, notifications, all) as string[];
  const [[balancerId, balancer]] = resourcesOf(cluster.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer') as [
    [string, Props],
  ];
  const balancerGroups = canonical(balancer.SecurityGroups, cluster, all) as string[];
  const [[eksId]] = resourcesOf(cluster.template, 'AWS::EKS::Cluster') as [[string, Props]];
  const workloads = `${cluster.stackName}/${eksId}.ClusterSecurityGroupId`;

  it('sends them to the internal load balancer, on the OTLP/HTTP port, from its environment', () => {
    expect(balancer).toMatchObject({ Scheme: 'internal', Type: 'network' });
    expect(canonical(balancer.Subnets, cluster, all)).toEqual(
      expect.arrayContaining([expect.stringMatching(/privateSubnet/)]),
    );
    expect(JSON.stringify(canonical(variables.OTEL_EXPORTER_OTLP_ENDPOINT, notifications, all))).toContain(
      `${balancerId}.DNSName`,
    );
    expect(JSON.stringify(variables.OTEL_EXPORTER_OTLP_ENDPOINT)).toContain(`:${TRACE_COLLECTOR.otlpHttpPort}`);
    expect(variables.DEPLOYMENT_ENVIRONMENT).toBe('dev');
  });

  it('forwards OTLP/HTTP to IP targets of the target group the manifests bind the collector to', () => {
    const [[, listener]] = resourcesOf(cluster.template, 'AWS::ElasticLoadBalancingV2::Listener') as [[string, Props]];
    expect(listener).toMatchObject({ Port: TRACE_COLLECTOR.otlpHttpPort, Protocol: 'TCP' });
    const [[, group]] = resourcesOf(cluster.template, 'AWS::ElasticLoadBalancingV2::TargetGroup') as [[string, Props]];
    expect(group).toMatchObject({
      Name: traceIngressTargetGroupName(shop.environment('dev')),
      TargetType: 'ip',
      Port: TRACE_COLLECTOR.otlpHttpPort,
      Protocol: 'TCP',
      HealthCheckPort: String(TRACE_COLLECTOR.healthPort),
    });
  });

  it('is a path the security groups allow: Lambda to the load balancer, the load balancer to the pods', () => {
    const otlp = TRACE_COLLECTOR.otlpHttpPort;
    const toBalancer = functionGroups.some((f) =>
      balancerGroups.some((b) => permits(egress, f, b, otlp) && permits(ingress, b, f, otlp)),
    );
    expect(toBalancer).toBe(true);
    for (const port of [otlp, TRACE_COLLECTOR.healthPort]) {
      expect(
        balancerGroups.some((b) => permits(egress, b, workloads, port) && permits(ingress, workloads, b, port)),
      ).toBe(true);
    }
  });

  it('admits nobody else to the load balancer', () => {
    const rules = ingress.filter((r) => balancerGroups.includes(r.group as string));
    expect(rules.length).toBe(1);
    expect(functionGroups).toContain(rules[0]?.peer);
  });
});
