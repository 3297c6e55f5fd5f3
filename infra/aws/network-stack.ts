import { CfnOutput, aws_ec2 as ec2, type aws_kms as kms, aws_logs as logs, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AWS_LINK_OUTPUTS, resourceName } from '../../lib/platform';
import { AnalyticsVpn } from './constructs/analytics-vpn';
import { PlatformStack, type PlatformStackProps } from './platform-stack';
import { retention } from './retention';

export interface NetworkStackProps extends PlatformStackProps {
  /**
   * The two interface addresses of the environment's GCP HA VPN gateway.
   * @default - no VPN to the analytics VPC on Google Cloud
   */
  readonly gcpVpnAddresses?: readonly [string, string];
}

/**
 * VPC across three zones: public (load balancers, NAT), private (nodes, Lambdas), isolated (RDS, MSK); with the GCP
 * HA VPN's addresses, the Site-to-Site VPN to the analytics VPC and the outputs the GCP stack reads.
 */
export class NetworkStack extends PlatformStack {
  readonly vpc: ec2.Vpc;
  /** Encrypts the flow logs. */
  readonly key: kms.Key;
  /**
   * The group of the Lambda and STS interface endpoints in the isolated subnets. It admits nobody by itself: each
   * client opens HTTPS from its own group (see docs/decisions/0011-lambda-and-sts-endpoints-for-msk.md).
   */
  readonly apiEndpointsSecurityGroup: ec2.SecurityGroup;
  /** The VPN to the analytics VPC on Google Cloud, when its addresses are known. */
  readonly analyticsVpn?: AnalyticsVpn;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const env = this.platformEnv;

    this.key = this.newKey('NetworkKey', 'network', `Encrypts ${env.name} VPC flow logs`);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      vpcName: resourceName(env, 'vpc'),
      ipAddresses: ec2.IpAddresses.cidr(env.network.cidr),
      maxAzs: 3,
      natGateways: env.network.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: true,
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    // Tags the AWS Load Balancer Controller uses to place internet-facing and internal load balancers.
    for (const subnet of this.vpc.publicSubnets) Tags.of(subnet).add('kubernetes.io/role/elb', '1');
    for (const subnet of this.vpc.privateSubnets) Tags.of(subnet).add('kubernetes.io/role/internal-elb', '1');

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: retention(env.logRetentionDays),
      encryptionKey: this.key,
      removalPolicy: this.statefulRemovalPolicy,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    // Secrets Manager without leaving the VPC: rotation and bootstrap functions run in private subnets.
    this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });

    // Lambda and STS from the isolated subnets, which have no route out: the MSK event source mapping's pollers run
    // there, in the brokers' subnets and security group, and call both.
    this.apiEndpointsSecurityGroup = new ec2.SecurityGroup(this, 'ApiEndpointsSecurityGroup', {
      vpc: this.vpc,
      description: `${env.name} Lambda and STS endpoints: HTTPS from the groups that call them`,
      allowAllOutbound: false,
    });
    for (const [id, service] of [
      ['Lambda', ec2.InterfaceVpcEndpointAwsService.LAMBDA],
      ['Sts', ec2.InterfaceVpcEndpointAwsService.STS],
    ] as const) {
      this.vpc.addInterfaceEndpoint(id, {
        service,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        securityGroups: [this.apiEndpointsSecurityGroup],
        open: false,
        privateDnsEnabled: true,
      });
    }

    if (props.gcpVpnAddresses) {
      const vpn = new AnalyticsVpn(this, 'AnalyticsVpn', {
        environment: env,
        vpc: this.vpc,
        gcpVpnAddresses: props.gcpVpnAddresses,
        key: this.key,
        removalPolicy: this.statefulRemovalPolicy,
      });
      vpn.tunnels.forEach((tunnel, i) => {
        new CfnOutput(this, AWS_LINK_OUTPUTS.tunnelOutsideIp(i + 1), { value: tunnel.outsideIp });
        new CfnOutput(this, AWS_LINK_OUTPUTS.tunnelInsideCidr(i + 1), { value: tunnel.insideCidr });
      });
      vpn.preSharedKeys.forEach((secret, i) => {
        new CfnOutput(this, AWS_LINK_OUTPUTS.tunnelPreSharedKeySecret(i + 1), {
          description: `Secrets Manager secret of the pre-shared key of ${env.gcp.network.vpnInsideCidrs[i]}: TF_VAR_vpn_tunnel_${i + 1}_psk`,
          value: secret.secretName,
        });
      });
      this.analyticsVpn = vpn;
    }
  }
}
