import { MSK_IAM_TLS_PORT } from '../../../lib/platform';
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
