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
