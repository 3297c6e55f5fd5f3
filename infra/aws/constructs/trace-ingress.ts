import { Duration, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { TRACE_COLLECTOR } from '../../../lib/platform';

export interface TraceIngressProps {
  readonly vpc: ec2.IVpc;
  /** The security group of the cluster's nodes and pods: the collector's pods are the targets, by pod IP. */
  readonly workloads: ec2.ISecurityGroup;
  /** The target group's name, which the manifests' TargetGroupBinding names (lib/platform `traceIngressTargetGroupName`). */
  readonly targetGroupName: string;
  /**
   * Whether deleting the load balancer needs its protection turned off first.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * The way into the cluster's trace collector for clients outside it (the notification Lambda): an internal Network
 * Load Balancer in the private subnets, one TCP listener on the collector's OTLP/HTTP port, forwarding to an IP
 * target group the AWS Load Balancer Controller fills with the collector's pods (a TargetGroupBinding in the
 * manifests, by the group's name). Its security group admits nobody until a client opens itself
 * (`allowFrom`); it reaches the workloads on the OTLP/HTTP and health ports only.
 */
export class TraceIngress extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly targetGroup: elbv2.NetworkTargetGroup;
  /** `http://<load balancer's DNS name>:4318`: what a client sets as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;

  constructor(scope: Construct, id: string, props: TraceIngressProps) {
    super(scope, id);
    if (props.targetGroupName.length > 32 || !/^[A-Za-z0-9-]+$/.test(props.targetGroupName)) {
      throw new Error(
        `'targetGroupName' must be at most 32 letters, digits and hyphens, got '${props.targetGroupName}'`,
      );
    }
    const otlp = TRACE_COLLECTOR.otlpHttpPort;
    const health = TRACE_COLLECTOR.healthPort;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Trace ingress load balancer: OTLP/HTTP to the collector pods only',
      allowAllOutbound: false,
    });
    for (const [port, what] of [
      [otlp, 'OTLP/HTTP'],
      [health, 'health checks'],
    ] as const) {
      this.securityGroup.addEgressRule(props.workloads, ec2.Port.tcp(port), `trace collector pods: ${what}`);
      props.workloads.addIngressRule(this.securityGroup, ec2.Port.tcp(port), `trace ingress load balancer: ${what}`);
    }
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      crossZoneEnabled: true,
      deletionProtection: props.deletionProtection ?? false,
    });
    this.targetGroup = new elbv2.NetworkTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      targetGroupName: props.targetGroupName,
      port: otlp,
      protocol: elbv2.Protocol.TCP,
      targetType: elbv2.TargetType.IP,
      healthCheck: {
        protocol: elbv2.Protocol.HTTP,
        port: String(health),
        path: '/',
        interval: Duration.seconds(10),
      },
      // A collector pod being replaced finishes the requests it has.
      deregistrationDelay: Duration.seconds(30),
    });
    this.loadBalancer.addListener('Otlp', {
      port: otlp,
      protocol: elbv2.Protocol.TCP,
      defaultTargetGroups: [this.targetGroup],
    });
    this.endpoint = `http://${this.loadBalancer.loadBalancerDnsName}:${otlp}`;
  }
}
