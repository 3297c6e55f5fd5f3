import { Aws, type aws_eks_v2 as eks, aws_iam as iam, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { HELM_CHART_VERSIONS } from '../cluster-versions';
import { bindPodIdentity, podIdentityRole } from './service-identities';

const NAMESPACE = 'kube-system';
const SERVICE_ACCOUNT = 'cluster-autoscaler';

/** The Auto Scaling group tags the autoscaler discovers node groups by; EKS puts them on every managed group's ASG. */
export function autoscalerTags(clusterName: string): Record<string, string> {
  return { 'k8s.io/cluster-autoscaler/enabled': 'true', [`k8s.io/cluster-autoscaler/${clusterName}`]: 'owned' };
}

export interface ClusterAutoscalerProps {
  readonly cluster: eks.Cluster;
  /** The cluster's name as a literal: the IAM condition keys contain it. */
  readonly clusterName: string;
  /** The managed node groups it scales, between their own minimum and maximum sizes. */
  readonly nodegroups: readonly eks.Nodegroup[];
}

/**
 * Cluster Autoscaler (pinned Helm chart) for the managed node groups: it discovers their Auto Scaling groups by tag
 * and runs with a Pod Identity role that may describe anything but resize or terminate only the groups tagged as
 * this cluster's (the policy the autoscaler's AWS documentation recommends, with its writes scoped by tag).
 */
export class ClusterAutoscaler extends Construct {
  readonly role: iam.Role;
  readonly chart: eks.HelmChart;

  constructor(scope: Construct, id: string, props: ClusterAutoscalerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = podIdentityRole(this, 'Role', `Pod Identity of Cluster Autoscaler in ${props.clusterName}`);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetInstanceTypesFromInstanceRequirements',
        ],
        resources: ['*'],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['eks:DescribeNodegroup'],
        resources: props.nodegroups.map((n) => n.nodegroupArn),
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        resources: [`arn:${Aws.PARTITION}:autoscaling:${stack.region}:${Aws.ACCOUNT_ID}:autoScalingGroup:*`],
        conditions: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${props.clusterName}`]: 'owned' } },
      }),
    );
    const association = bindPodIdentity(
      this,
      'PodIdentity',
      props.cluster,
      { namespace: NAMESPACE, name: SERVICE_ACCOUNT },
      this.role,
    );

    this.chart = props.cluster.addHelmChart('ClusterAutoscaler', {
      chart: 'cluster-autoscaler',
      repository: 'https://kubernetes.github.io/autoscaler',
      version: HELM_CHART_VERSIONS['cluster-autoscaler'],
      namespace: NAMESPACE,
      release: 'cluster-autoscaler',
      values: {
        cloudProvider: 'aws',
        awsRegion: stack.region,
        autoDiscovery: { clusterName: props.clusterName },
        rbac: { serviceAccount: { create: true, name: SERVICE_ACCOUNT } },
        extraArgs: {
          // One node group per zone behaves as one: scale-ups spread across zones.
          'balance-similar-node-groups': true,
          expander: 'least-waste',
        },
      },
    });
    this.chart.node.addDependency(association);
  }
}
