import { aws_ec2 as ec2, type aws_kms as kms, aws_logs as logs, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { resourceName } from '../../lib/platform';
import { PlatformStack, type PlatformStackProps } from './platform-stack';
import { retention } from './retention';

/** VPC across three zones: public (load balancers, NAT), private (nodes, Lambdas), isolated (RDS, MSK). */
export class NetworkStack extends PlatformStack {
  readonly vpc: ec2.Vpc;
  /** Encrypts the flow logs. */
  readonly key: kms.Key;
  /**
   * The group of the Lambda and STS interface endpoints in the isolated subnets. It admits nobody by itself: each
   * client opens HTTPS from its own group (see docs/decisions/0011-lambda-and-sts-endpoints-for-msk.md).
   */
  readonly apiEndpointsSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
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
  }
}
