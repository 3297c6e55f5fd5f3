import { aws_ec2 as ec2, aws_eks_v2 as eks } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The Kubernetes group the pipeline's access entry maps its role to; RBAC in the cluster grants the group. */
export const PIPELINE_GROUP = 'shopfront:pipeline';

export interface ClusterAccessProps {
  readonly cluster: eks.Cluster;
  /** Cluster admin. @default - no operator entry */
  readonly operatorRoleArn?: string;
  /** Argo CD Applications and AppProjects in `argocdNamespace`, read access to `platformNamespace`. @default - none */
  readonly pipelineRoleArn?: string;
  readonly argocdNamespace: string;
  readonly platformNamespace: string;
}

/**
 * Who may use the Kubernetes API besides the stack's own kubectl handler: EKS access entries for the operators'
 * role (cluster admin) and the pipeline's role (view on the platform and Argo CD namespaces through an EKS access
 * policy, plus an RBAC Role for Argo CD's custom resources, which EKS access policies do not cover).
 */
export class ClusterAccess extends Construct {
  readonly operator?: eks.AccessEntry;
  readonly pipeline?: eks.AccessEntry;
  /** The RBAC Role and RoleBinding of the pipeline's group, when there is a pipeline. */
  readonly pipelineRbac?: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const { cluster } = props;
    if (props.operatorRoleArn) {
      this.operator = new eks.AccessEntry(this, 'Operator', {
        cluster,
        principal: props.operatorRoleArn,
        accessPolicies: [
          eks.AccessPolicy.fromAccessPolicyName('AmazonEKSClusterAdminPolicy', {
            accessScopeType: eks.AccessScopeType.CLUSTER,
          }),
        ],
      });
    }
    if (props.pipelineRoleArn) {
      this.pipeline = new eks.AccessEntry(this, 'Pipeline', {
        cluster,
        principal: props.pipelineRoleArn,
        accessPolicies: [
          eks.AccessPolicy.fromAccessPolicyName('AmazonEKSViewPolicy', {
            accessScopeType: eks.AccessScopeType.NAMESPACE,
            namespaces: [props.platformNamespace, props.argocdNamespace],
          }),
        ],
      });
      (this.pipeline.node.defaultChild as eks.CfnAccessEntry).kubernetesGroups = [PIPELINE_GROUP];
      const name = 'shopfront-pipeline';
      this.pipelineRbac = cluster.addManifest(
        'PipelineArgoCdAccess',
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name, namespace: props.argocdNamespace },
          rules: [
            {
              apiGroups: ['argoproj.io'],
              resources: ['applications', 'appprojects'],
              verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'],
            },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name, namespace: props.argocdNamespace },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: PIPELINE_GROUP }],
        },
      );
    }
  }
}

export interface SessionManagerBastionProps {
  readonly vpc: ec2.IVpc;
  /** The private API endpoint it forwards to. */
  readonly cluster: eks.Cluster;
  readonly name: string;
}

/**
 * A small instance in a private subnet that operators reach only through SSM Session Manager (no inbound rule, no
 * SSH key, IMDSv2 only) and use to forward a local port to the cluster's private API endpoint.
 */
export class SessionManagerBastion extends Construct {
  readonly instance: ec2.Instance;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: SessionManagerBastionProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.name}: no inbound; HTTPS out to Session Manager and the cluster API`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Session Manager, package mirrors');
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      instanceName: props.name,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
      securityGroup: this.securityGroup,
      requireImdsv2: true,
      ssmSessionPermissions: true,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });
    props.cluster.connections.allowFrom(this.securityGroup, ec2.Port.tcp(443), `${props.name} to the API endpoint`);
  }
}
