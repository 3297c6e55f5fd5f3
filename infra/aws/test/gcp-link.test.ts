import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  AWS_LINK_OUTPUTS,
  CROSS_CLOUD_LINK,
  MSK_SCRAM_TLS_PORT,
  mskScramSecretName,
  POSTGRES_PORT,
  RESULTS_DATABASE,
  resultsReaderSecretName,
  shop,
  TOPIC_ANALYTICS_RESULTS,
  TOPIC_ORDERS,
} from '../../../lib/platform';
import { buildAwsApp } from '../app';
import { GCP_VPN_ADDRESSES, joinedText, newApp, resourcesOf, stacksOf, templates, testConfig } from './fixture';

// The AWS side of the link to the analytics VPC on Google Cloud, per environment, against the catalog entries the GCP
// side builds its half from (infra/gcp/test/aws-link.test.ts asserts that half).
describe.each(['dev', 'prod'] as const)('the link to GCP in %s', (name) => {
  const env = shop.environment(name);
  const { network, data } = templates(name);

  it('has a virtual private gateway with the AWS ASN, attached to the VPC', () => {
    network.hasResourceProperties('AWS::EC2::VPNGateway', { Type: 'ipsec.1', AmazonSideAsn: CROSS_CLOUD_LINK.awsAsn });
    network.resourceCountIs('AWS::EC2::VPCGatewayAttachment', 2);
  });

  it('has one customer gateway per HA VPN interface, with the Cloud Router ASN', () => {
    const gateways = resourcesOf(network, 'AWS::EC2::CustomerGateway').map(([, p]) => [p.IpAddress, p.BgpAsn, p.Type]);
    expect(gateways).toEqual(GCP_VPN_ADDRESSES[name].map((ip) => [ip, CROSS_CLOUD_LINK.gcpAsn, 'ipsec.1']));
  });

  it("has two BGP connections whose tunnels use the catalog's inside ranges and keys from Secrets Manager", () => {
    const connections = resourcesOf(network, 'AWS::EC2::VPNConnection').map(([, p]) => p);
    expect(connections).toHaveLength(2);
    const tunnels = connections.flatMap((c) => {
      expect(c.StaticRoutesOnly).toBe(false);
      return c.VpnTunnelOptionsSpecifications as { TunnelInsideCidr: string; PreSharedKey: unknown }[];
    });
    expect(tunnels.map((t) => t.TunnelInsideCidr)).toEqual(env.gcp.network.vpnInsideCidrs);
    for (const tunnel of tunnels) {
      // A dynamic reference, resolved by CloudFormation: the key itself is in no template.
      expect(JSON.stringify(tunnel.PreSharedKey)).toMatch(/\{\{resolve:secretsmanager:/);
    }
    const keys = resourcesOf(network, 'AWS::SecretsManager::Secret').map(([, p]) => p);
    expect(keys).toHaveLength(4);
    for (const key of keys) {
      expect(key.KmsKeyId).toBeDefined();
      expect((key.GenerateSecretString as { ExcludeCharacters: string }).ExcludeCharacters).toContain('0');
    }
  });

  it("propagates the learned routes into the isolated subnets' route tables only", () => {
    const propagation = resourcesOf(network, 'AWS::EC2::VPNGatewayRoutePropagation').map(([, p]) => p);
    expect(propagation).toHaveLength(1);
    const tables = ((propagation[0]?.RouteTableIds ?? []) as { Ref: string }[]).map((t) => t.Ref);
    expect(tables).toHaveLength(env.availabilityZones.length);
    for (const table of tables) expect(table).toMatch(/isolatedSubnet\d+RouteTable/);
  });

  it("routes Cloud SQL's range from the private subnets (EKS pods) to the virtual private gateway, and no other", () => {
    const routes = resourcesOf(network, 'AWS::EC2::Route')
      .map(([, p]) => p)
      .filter((r) => r.GatewayId !== undefined && JSON.stringify(r.GatewayId).includes('VpnGateway'));
    expect(routes.map((r) => r.DestinationCidrBlock)).toEqual(
      env.availabilityZones.map(() => env.gcp.network.privateServiceCidr),
    );
    const tables = routes.map((r) => (r.RouteTableId as { Ref: string }).Ref);
    for (const table of tables) expect(table).toMatch(/privateSubnet\d+RouteTable/);
    expect(new Set(tables).size).toBe(env.availabilityZones.length);
    // A route to the gateway is refused until the gateway is attached to the VPC.
    const attachments = resourcesOf(network, 'AWS::EC2::VPCGatewayAttachment')
      .filter(([, p]) => JSON.stringify(p.VpnGatewayId ?? '').includes('VpnGateway'))
      .map(([id]) => id);
    expect(attachments).toHaveLength(1);
    const attachment = attachments[0];
    const routeIds = resourcesOf(network, 'AWS::EC2::Route')
      .filter(([, p]) => JSON.stringify(p.GatewayId ?? '').includes('VpnGateway'))
      .map(([id]) => id);
    const resources = network.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
    for (const id of routeIds) expect(resources[id]?.DependsOn).toContain(attachment);
  });

  it('outputs the tunnels and their key secrets for the GCP stack', () => {
    const outputs = network.toJSON().Outputs as Record<string, unknown>;
    for (const n of [1, 2, 3, 4]) {
      expect(outputs).toHaveProperty(AWS_LINK_OUTPUTS.tunnelOutsideIp(n));
      expect(outputs).toHaveProperty(AWS_LINK_OUTPUTS.tunnelInsideCidr(n));
      expect(outputs).toHaveProperty(AWS_LINK_OUTPUTS.tunnelPreSharedKeySecret(n));
    }
    const lookups = resourcesOf(network, 'Custom::AWS').map(([, p]) => joinedText(p.Update));
    expect(lookups).toHaveLength(2);
    for (const lookup of lookups) {
      expect(lookup).toContain('"action":"describeVpnConnections"');
      expect(lookup).toMatch(/"VpnConnectionIds":\["<Ref:VpcConnection\d[A-Z0-9]+>"\]/);
    }
  });

  it('enables SASL/SCRAM beside IAM on MSK, and denies SCRAM users whatever no ACL allows', () => {
    data.hasResourceProperties('AWS::MSK::Cluster', {
      ClientAuthentication: {
        Sasl: { Iam: { Enabled: true }, Scram: { Enabled: true } },
        Unauthenticated: { Enabled: false },
      },
    });
    data.hasResourceProperties('AWS::MSK::Configuration', {
      ServerProperties: Match.stringLikeRegexp('allow.everyone.if.no.acl.found=false'),
    });
  });

  it('keeps the SCRAM user in an AmazonMSK_ secret under the customer key, associated with the cluster', () => {
    const [[secretId, secret]] = resourcesOf(data, 'AWS::SecretsManager::Secret').filter(
      ([, p]) => p.Name === mskScramSecretName(env),
    ) as [[string, Record<string, unknown>]];
    expect(secret.Name).toMatch(/^AmazonMSK_/);
    expect(secret.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] });
    expect(JSON.parse((secret.GenerateSecretString as { SecretStringTemplate: string }).SecretStringTemplate)).toEqual({
      username: CROSS_CLOUD_LINK.scramUser,
    });
    const [[, batch]] = resourcesOf(data, 'AWS::MSK::BatchScramSecret') as [[string, Record<string, unknown>]];
    expect(batch.SecretArnList).toEqual([{ Ref: secretId }]);
    expect(batch.ClusterArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^KafkaCluster/), 'Arn'] });
  });

  it('opens the SCRAM port to the GCP analytics subnet and to nothing else', () => {
    const scram = resourcesOf(data, 'AWS::EC2::SecurityGroup')
      .flatMap(([, p]) => (p.SecurityGroupIngress ?? []) as Record<string, unknown>[])
      .concat(resourcesOf(data, 'AWS::EC2::SecurityGroupIngress').map(([, p]) => p))
      .filter((r) => (r.FromPort as number) <= MSK_SCRAM_TLS_PORT && MSK_SCRAM_TLS_PORT <= (r.ToPort as number));
    const fromCidr = scram.filter((r) => r.CidrIp !== undefined);
    expect(fromCidr.map((r) => [r.CidrIp, r.IpProtocol, r.FromPort, r.ToPort])).toEqual([
      [env.gcp.network.subnetCidr, 'tcp', MSK_SCRAM_TLS_PORT, MSK_SCRAM_TLS_PORT],
    ]);
  });

  it('grants the SCRAM user exactly: read orders with its own group, write analytics-results', () => {
    const [[, acls]] = resourcesOf(data, 'Custom::KafkaAcls') as [[string, Record<string, unknown>]];
    expect(acls.Principal).toBe(`User:${CROSS_CLOUD_LINK.scramUser}`);
    expect(acls.Grants).toEqual([
      { resourceType: 'TOPIC', resourceName: TOPIC_ORDERS, operation: 'READ' },
      { resourceType: 'GROUP', resourceName: shop.consumerGroup('analytics', TOPIC_ORDERS), operation: 'READ' },
      { resourceType: 'TOPIC', resourceName: TOPIC_ANALYTICS_RESULTS, operation: 'WRITE' },
    ]);
    expect(acls.BootstrapBrokers).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^KafkaBootstrapBrokers/), 'BootstrapBrokerStringSaslIam'],
    });
  });

  it('applies the ACLs with a function that may administer this cluster only, reaching the IAM listener only', () => {
    const policies = resourcesOf(data, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('KafkaAclsFunction'));
    expect(policies).toHaveLength(1);
    const [[, policy]] = policies as [[string, Record<string, unknown>]];
    const statements = (policy.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    const kafka = statements.filter((st) => JSON.stringify(st.Action).includes('kafka-cluster'));
    expect(kafka).toEqual([
      {
        Effect: 'Allow',
        Action: ['kafka-cluster:AlterCluster', 'kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^KafkaCluster/), 'Arn'] },
      },
    ]);
    const egress = resourcesOf(data, 'AWS::EC2::SecurityGroupEgress').filter(([, r]) =>
      JSON.stringify(r.GroupId).includes('KafkaAclsSecurityGroup'),
    );
    expect(egress.map(([, r]) => [r.IpProtocol, r.FromPort, r.ToPort])).toEqual([['tcp', 9098, 9098]]);
    data.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `shopfront-${name}-kafka-acls`,
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
    });
  });

  it('outputs the SCRAM brokers and the secret name for the GCP stack', () => {
    const outputs = data.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs[AWS_LINK_OUTPUTS.scramSecretName]?.Value).toBeDefined();
    expect(JSON.stringify(outputs[AWS_LINK_OUTPUTS.scramBrokers]?.Value)).toContain('BootstrapBrokerStringSaslScram');
    // The topics and the group the SCRAM user's ACLs name are the catalog's.
    expect(shop.service('analytics').consumes).toEqual([TOPIC_ORDERS]);
    expect(shop.service('analytics').produces).toEqual([TOPIC_ANALYTICS_RESULTS]);
  });
});

describe('the link to GCP without the HA VPN addresses', () => {
  it('has no VPN, but still SCRAM on MSK (the GCP stack is deployed first, then the VPN)', () => {
    const app = newApp();
    const set = buildAwsApp(app, { ...testConfig(['dev']), gcpVpnAddresses: {} }).get('dev');
    if (!set) throw new Error('no dev stacks');
    expect(set.network.analyticsVpn).toBeUndefined();
    expect(set.data.kafka.scramSecret).toBeDefined();
  });
});

describe("the API gateway's login to the results database on Cloud SQL", () => {
  const env = shop.environment('dev');
  // An address of the catalog's Private Service Access range, as the GCP stack's ResultsDatabaseAddress output gives.
  const address = env.gcp.network.privateServiceCidr.replace(/\.0\/\d+$/, '.3');
  const withLink = (resultsDatabaseAddress: string) => {
    const set = buildAwsApp(newApp(), {
      ...testConfig(['dev']),
      resultsDatabaseAddresses: { dev: resultsDatabaseAddress },
    }).get('dev');
    if (!set) throw new Error('no dev stacks');
    return set;
  };

  it('is generated into Secrets Manager under the data key, with the address, port, database and reader login', () => {
    const set = withLink(address);
    const data = Template.fromStack(set.data);
    const [secret] = resourcesOf(data, 'AWS::SecretsManager::Secret')
      .map(([, p]) => p)
      .filter((p) => p.Name === resultsReaderSecretName(env));
    if (!secret) throw new Error('no reader secret');
    expect(secret.KmsKeyId).toBeDefined();
    const generate = secret.GenerateSecretString as Record<string, unknown>;
    expect(JSON.parse(String(generate.SecretStringTemplate))).toEqual({
      username: RESULTS_DATABASE.readerLogin,
      host: address,
      port: POSTGRES_PORT,
      dbname: RESULTS_DATABASE.database,
    });
    expect(generate).toMatchObject({ GenerateStringKey: 'password', ExcludePunctuation: true });
    const outputs = data.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs[AWS_LINK_OUTPUTS.resultsReaderSecretName]?.Value)).toContain('ResultsReaderSecret');
  });

  it('is readable by External Secrets (which hands it to the gateway)', () => {
    const set = withLink(address);
    const secretId = set.data.getLogicalId(
      set.data.resultsReaderSecret?.node.defaultChild as import('aws-cdk-lib').CfnElement,
    );
    const readers = resourcesOf(Template.fromStack(set.data), 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.PolicyDocument).includes(`"Ref":"${secretId}"`))
      .map(([, p]) => JSON.stringify(p.Roles));
    expect(readers).toHaveLength(1);
    expect(readers[0]).toContain('ExternalSecretsRole');
  });

  it('does not exist while the analytics link is not configured', () => {
    expect(stacksOf('dev').data.resultsReaderSecret).toBeUndefined();
  });

  it('refuses an address outside the Private Service Access range, naming the setting', () => {
    expect(() => withLink('10.10.0.5')).toThrow(
      /'environments\[dev\]\.resultsDatabaseAddress' must be in gcp\.network\.privateServiceCidr \(10\.111\.0\.0\/20\), got '10\.10\.0\.5'/,
    );
  });
});
