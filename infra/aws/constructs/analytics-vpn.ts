import { aws_ec2 as ec2, type aws_kms as kms, RemovalPolicy, SecretValue, aws_secretsmanager as sm } from 'aws-cdk-lib';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { CROSS_CLOUD_LINK, type EnvironmentSpec, resourceName } from '../../../lib/platform';

export interface AnalyticsVpnProps {
  readonly environment: EnvironmentSpec;
  /** The VPC the brokers are in; it gets the virtual private gateway. */
  readonly vpc: ec2.Vpc;
  /** The two interface addresses of the GCP HA VPN gateway, in interface order. */
  readonly gcpVpnAddresses: readonly [string, string];
  /** Encrypts the tunnels' pre-shared keys. */
  readonly key: kms.IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** A tunnel as AWS reports it after the deploy (both values resolve at deploy time). */
export interface ReportedTunnel {
  /** The AWS end's public address, which AWS assigns. */
  readonly outsideIp: string;
  /** One of the catalog's `vpnInsideCidrs`: the GCP side pairs the address with the range, whatever the order. */
  readonly insideCidr: string;
}

/**
 * The AWS side of the link to the analytics VPC on Google Cloud: a virtual private gateway on the VPC (ASN from
 * `CROSS_CLOUD_LINK`), one customer gateway per HA VPN interface (the Cloud Router's ASN), two Site-to-Site VPN
 * connections with BGP and two tunnels each (inside ranges from the catalog), and the learned routes propagated
 * into the isolated subnets' route tables, where the brokers are; the private subnets, where the EKS pods are, get a
 * static route to Cloud SQL's Private Service Access range only. Each tunnel's pre-shared key is generated into
 * Secrets Manager and reaches the connection as a dynamic reference: it is in no template.
 */
export class AnalyticsVpn extends Construct {
  readonly connections: readonly ec2.VpnConnection[];
  /** Connection 1's two tunnels, then connection 2's, as AWS lists them. */
  readonly tunnels: readonly ReportedTunnel[];
  /** The pre-shared key of each tunnel, in the order of the catalog's `vpnInsideCidrs`. */
  readonly preSharedKeys: readonly sm.Secret[];
  /** Static routes of the private subnets (EKS nodes and pods) to Cloud SQL's range through the gateway. */
  readonly resultsDatabaseRoutes: readonly ec2.CfnRoute[];

  constructor(scope: Construct, id: string, props: AnalyticsVpnProps) {
    super(scope, id);
    const env = props.environment;
    const inside = env.gcp.network.vpnInsideCidrs;

    props.vpc.enableVpnGateway({
      type: ec2.VpnConnectionType.IPSEC_1,
      amazonSideAsn: CROSS_CLOUD_LINK.awsAsn,
      vpnRoutePropagation: [{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    // The API gateway's pods (VPC CNI: addresses of the private subnets) read the results database on Cloud SQL.
    // A static route of that one range, not propagation: the private subnets learn no other GCP range. The gateway
    // still chooses the tunnel by BGP.
    const attachment = props.vpc.node.findChild('VPCVPNGW');
    const gatewayId = props.vpc.vpnGatewayId as string;
    this.resultsDatabaseRoutes = props.vpc.privateSubnets.map((subnet, i) => {
      const route = new ec2.CfnRoute(this, `ResultsDatabaseRoute${i + 1}`, {
        routeTableId: subnet.routeTable.routeTableId,
        destinationCidrBlock: env.gcp.network.privateServiceCidr,
        gatewayId,
      });
      route.node.addDependency(attachment);
      return route;
    });

    const preSharedKeys = inside.map(
      (cidr, i) =>
        new sm.Secret(this, `Tunnel${i + 1}PreSharedKey`, {
          secretName: resourceName(env, `vpn-tunnel-${i + 1}-psk`),
          description: `Pre-shared key of VPN tunnel ${i + 1} (${cidr}) to the GCP analytics VPC`,
          encryptionKey: props.key,
          // AWS accepts letters, digits, . and _, and no leading zero: letters and digits without 0.
          generateSecretString: {
            passwordLength: 48,
            excludePunctuation: true,
            includeSpace: false,
            excludeCharacters: '0',
          },
          removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        }),
    );
    this.preSharedKeys = preSharedKeys;

    const tunnels: ReportedTunnel[] = [];
    this.connections = props.gcpVpnAddresses.map((address, c) => {
      const positions = [2 * c, 2 * c + 1];
      const connection = props.vpc.addVpnConnection(`Connection${c + 1}`, {
        ip: address,
        asn: CROSS_CLOUD_LINK.gcpAsn,
        tunnelOptions: positions.map((p) => ({
          tunnelInsideCidr: inside[p],
          preSharedKeySecret: SecretValue.secretsManager((preSharedKeys[p] as sm.Secret).secretArn),
        })),
      });
      // CloudFormation has no attribute for the tunnels' outside addresses: ask the EC2 API after the connection exists.
      const described = new AwsCustomResource(this, `Connection${c + 1}Tunnels`, {
        onUpdate: {
          service: 'EC2',
          action: 'describeVpnConnections',
          parameters: { VpnConnectionIds: [connection.vpnId] },
          physicalResourceId: PhysicalResourceId.of(`${resourceName(env, 'vpn')}-${c + 1}-tunnels`),
          outputPaths: [0, 1].flatMap((t) => [
            `VpnConnections.0.Options.TunnelOptions.${t}.OutsideIpAddress`,
            `VpnConnections.0.Options.TunnelOptions.${t}.TunnelInsideCidr`,
          ]),
        },
        // DescribeVpnConnections supports no resource-level permission.
        policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
        installLatestAwsSdk: false,
      });
      // AWS may list a connection's tunnels in any order: each outside address goes with the inside range it reports.
      for (const t of [0, 1]) {
        const field = (name: string) =>
          described.getResponseField(`VpnConnections.0.Options.TunnelOptions.${t}.${name}`);
        tunnels.push({ outsideIp: field('OutsideIpAddress'), insideCidr: field('TunnelInsideCidr') });
      }
      return connection;
    });
    this.tunnels = tunnels;
  }
}
