import { Template } from 'aws-cdk-lib/assertions';
import { Testing } from 'cdktf';
import { buildAwsApp } from '../infra/aws/app';
import { resourcesOf as cfnResources, newApp, testConfig } from '../infra/aws/test/fixture';
import { buildGcpApp } from '../infra/gcp/app';
import { awsOutputs, linkedConfig, readTestOutputs, resourcesOf as tfResources } from '../infra/gcp/test/fixture';
import { MSK_SCRAM_TLS_PORT, shop } from '../lib/platform';

// The two halves of the AWS <-> GCP link, synthesized by their own apps and held against each other: what one side
// opens, announces or outputs is what the other side expects.
describe.each(['dev', 'staging'] as const)('the AWS <-> GCP link of %s', (name) => {
  const aws = buildAwsApp(newApp(), testConfig([name])).get(name);
  if (!aws) throw new Error(`no AWS stacks for ${name}`);
  const network = Template.fromStack(aws.network);
  const data = Template.fromStack(aws.data);
  const gcpStack = buildGcpApp(Testing.app(), linkedConfig(name), shop, readTestOutputs).get(name);
  if (!gcpStack) throw new Error(`no GCP stack for ${name}`);
  const tf = JSON.parse(Testing.synth(gcpStack)) as Parameters<typeof tfResources>[0];

  it('reads only outputs the AWS stacks have', () => {
    const awsKeys = new Set([
      ...Object.keys(network.toJSON().Outputs ?? {}),
      ...Object.keys(data.toJSON().Outputs ?? {}),
    ]);
    const read = Object.values(awsOutputs(name)).flatMap((outputs) => Object.keys(outputs));
    expect(read.filter((key) => key !== 'VpcId' && !awsKeys.has(key))).toEqual([]);
  });

  it('uses each ASN on both sides: AWS gateway = GCP peer, GCP router = AWS customer gateways', () => {
    const [[, vgw]] = cfnResources(network, 'AWS::EC2::VPNGateway') as [[string, Record<string, unknown>]];
    const peerAsns = new Set(tfResources(tf, 'google_compute_router_peer').map(([, p]) => p.peer_asn));
    expect([...peerAsns]).toEqual([vgw.AmazonSideAsn]);
    const routerAsns = tfResources(tf, 'google_compute_router')
      .map(([, r]) => (r.bgp as { asn?: number } | undefined)?.asn)
      .filter((asn) => asn !== undefined);
    const customerAsns = new Set(cfnResources(network, 'AWS::EC2::CustomerGateway').map(([, c]) => c.BgpAsn));
    expect([...customerAsns]).toEqual(routerAsns);
  });

  it("has AWS's end of each tunnel and GCP's end in the same /30, in the same order as the key variables", () => {
    const awsInside = cfnResources(network, 'AWS::EC2::VPNConnection').flatMap(([, c]) =>
      (c.VpnTunnelOptionsSpecifications as { TunnelInsideCidr: string }[]).map((t) => t.TunnelInsideCidr),
    );
    const gcpInside = tfResources(tf, 'google_compute_router_interface').map(([, i]) =>
      String(i.ip_range).replace(/\.(\d+)\/30$/, (_m, n) => `.${Number(n) - 2}/30`),
    );
    expect(gcpInside).toEqual(awsInside);
    const psks = Object.keys(tf.variable ?? {}).filter((v) => v.startsWith('vpn_tunnel_'));
    expect(psks).toEqual(awsInside.map((_cidr, i) => `vpn_tunnel_${i + 1}_psk`));
  });

  it('opens the SCRAM port on MSK to exactly the subnet GCP advertises and runs Dataproc in', () => {
    const scramFrom = cfnResources(data, 'AWS::EC2::SecurityGroup')
      .flatMap(([, g]) => (g.SecurityGroupIngress ?? []) as Record<string, unknown>[])
      .filter((r) => r.FromPort === MSK_SCRAM_TLS_PORT && r.CidrIp !== undefined)
      .map((r) => r.CidrIp);
    const [[, subnet]] = tfResources(tf, 'google_compute_subnetwork') as [[string, Record<string, unknown>]];
    const advertised = tfResources(tf, 'google_compute_router').flatMap(
      ([, r]) => (r.bgp as { advertised_ip_ranges?: { range: string }[] } | undefined)?.advertised_ip_ranges ?? [],
    );
    expect(scramFrom).toEqual([subnet.ip_cidr_range]);
    expect(advertised.map((a) => a.range)).toContain(subnet.ip_cidr_range);
  });

  it("routes from the EKS subnets exactly the Cloud SQL range GCP reserves and advertises, and nothing else of GCP's", () => {
    const [[, reserved]] = tfResources(tf, 'google_compute_global_address') as [[string, Record<string, unknown>]];
    const cloudSql = `${reserved.address}/${reserved.prefix_length}`;
    const [[, subnet]] = tfResources(tf, 'google_compute_subnetwork') as [[string, Record<string, unknown>]];
    const advertised = tfResources(tf, 'google_compute_router').flatMap(
      ([, r]) => (r.bgp as { advertised_ip_ranges?: { range: string }[] } | undefined)?.advertised_ip_ranges ?? [],
    );
    expect(advertised.map((a) => a.range)).toEqual([subnet.ip_cidr_range, cloudSql]);
    const toGateway = cfnResources(network, 'AWS::EC2::Route')
      .map(([, r]) => r)
      .filter((r) => JSON.stringify(r.GatewayId ?? '').includes('VpnGateway'));
    expect(toGateway.length).toBeGreaterThan(0);
    expect(new Set(toGateway.map((r) => r.DestinationCidrBlock))).toEqual(new Set([cloudSql]));
  });
});
