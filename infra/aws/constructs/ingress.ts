import { aws_ec2 as ec2 } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Opens `port` on `target` to members of `source`, with the rule owned by `scope`'s stack. Used when a
 * client stack opens a port on a data stack's security group: CDK would otherwise put the rule in the
 * data stack and make it depend on its own client.
 */
export function allowIngressFrom(
  scope: Construct,
  id: string,
  target: ec2.ISecurityGroup,
  source: ec2.ISecurityGroup | string,
  port: number,
  description: string,
): ec2.CfnSecurityGroupIngress {
  return new ec2.CfnSecurityGroupIngress(scope, id, {
    groupId: target.securityGroupId,
    sourceSecurityGroupId: typeof source === 'string' ? source : source.securityGroupId,
    ipProtocol: 'tcp',
    fromPort: port,
    toPort: port,
    description,
  });
}

/**
 * Lets members of `source` open connections to `destination` on `port`, with the rule owned by `scope`'s stack: the
 * egress side of `allowIngressFrom`, for groups that allow no outbound traffic by default.
 */
export function allowEgressTo(
  scope: Construct,
  id: string,
  source: ec2.ISecurityGroup,
  destination: ec2.ISecurityGroup,
  port: number,
  description: string,
): ec2.CfnSecurityGroupEgress {
  return new ec2.CfnSecurityGroupEgress(scope, id, {
    groupId: source.securityGroupId,
    destinationSecurityGroupId: destination.securityGroupId,
    ipProtocol: 'tcp',
    fromPort: port,
    toPort: port,
    description,
  });
}
