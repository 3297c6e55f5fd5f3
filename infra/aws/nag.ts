import { type CfnElement, type Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { PlatformStack } from './platform-stack';

/** A cdk-nag or CloudFormation-validation finding we accept, and why. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

const LAMBDA_BASIC =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
const LAMBDA_VPC =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]';

const BASIC_EXECUTION: Acknowledgement = {
  id: LAMBDA_BASIC,
  reason: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch log streams.',
};
const VPC_EXECUTION: Acknowledgement = {
  id: LAMBDA_VPC,
  reason:
    'AWSLambdaVPCAccessExecutionRole is what Lambda needs to attach ENIs in the VPC; EC2 network-interface actions cannot be scoped to resources.',
};
/** The provider framework's role may invoke every version (`<arn>:*`) of exactly one handler function. */
function providerFramework(stack: Stack, handlerPath: RegExp): Acknowledgement[] {
  const handler = find(stack, handlerPath)[0];
  const invoke = handler
    ? [
        {
          id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(stack, handlerPath)}.Arn>:*]`,
          reason: 'The provider framework may invoke every version of exactly its handler function, and nothing else.',
        },
      ]
    : [];
  return [
    BASIC_EXECUTION,
    ...invoke,
    { id: 'AwsSolutions-L1', reason: 'The provider framework function and its runtime are managed by aws-cdk-lib.' },
  ];
}

/** Wildcards of the upstream AWS Load Balancer Controller policy, each on resources it names at run time. */
const ALB_CONTROLLER_WILDCARDS = [
  'Resource::*',
  'Resource::arn:<AWS::Partition>:ec2:*:*:security-group/*',
  'Resource::arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/app/*/*/*',
  'Resource::arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/net/*/*/*',
  'Resource::arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/app/*/*/*',
  'Resource::arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/net/*/*/*',
  'Resource::arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/app/*/*',
  'Resource::arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/net/*/*',
  'Resource::arn:<AWS::Partition>:elasticloadbalancing:*:*:targetgroup/*/*',
];

/** Every construct under `stack` whose path (relative to the stack) matches. */
function find(stack: Stack, pattern: RegExp): IConstruct[] {
  const prefix = `${stack.node.path}/`;
  return stack.node.findAll().filter((c) => pattern.test(c.node.path.slice(prefix.length)));
}

function logicalIdOf(stack: Stack, path: RegExp): string {
  const element = find(stack, path)[0];
  return element ? stack.getLogicalId(element as CfnElement) : 'absent';
}

function acknowledge(scopes: IConstruct[], acknowledgements: readonly Acknowledgement[]): void {
  for (const scope of scopes) for (const a of acknowledgements) Validations.of(scope).acknowledge(a);
}

/**
 * The reviewed findings of each stack. Each acknowledgement is scoped to the construct that raises it,
 * so a new resource with the same weakness still fails synthesis.
 */
export function acknowledgeFindings(stack: Stack): void {
  if (!(stack instanceof PlatformStack)) return;
  const env = stack.platformEnv;

  Validations.of(stack).acknowledge({
    id: 'CloudFormation-Validate::W3010',
    reason:
      'Zones are named in the catalog so synthesis needs no account lookup and MSK/RDS placement is reviewable; zone names are per-account aliases, which is what the stack wants.',
  });

  // Network
  acknowledge(find(stack, /^Vpc\/SecretsManager\/SecurityGroup\/Resource$/), [
    {
      id: 'AwsSolutions-EC23',
      reason: 'The Secrets Manager endpoint accepts HTTPS from the VPC CIDR only; the rule cannot read the CIDR token.',
    },
  ]);

  // Data
  acknowledge(find(stack, /^Databases\/Instance\/Resource$/), [
    {
      id: 'AwsSolutions-RDS11',
      reason:
        'A non-default port is obscurity, not a control: the database is in isolated subnets, reachable only from named security groups, with TLS enforced and per-service credentials.',
    },
    ...(env.database.multiAz
      ? []
      : [
          {
            id: 'AwsSolutions-RDS3',
            reason: `${env.name} runs a single-AZ instance to halve its cost; the catalog requires Multi-AZ in prod and staging sets it.`,
          },
        ]),
    ...(env.deletionProtection
      ? []
      : [
          {
            id: 'AwsSolutions-RDS10',
            reason: `${env.name} is disposable; deletion leaves a final snapshot. The catalog requires deletion protection in prod.`,
          },
        ]),
  ]);
  acknowledge(find(stack, /^Databases\/Instance\/MonitoringRole\/Resource$/), [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason:
        'The service-role policy RDS Enhanced Monitoring requires: it writes OS metrics to the RDSOSMetrics log group only.',
    },
  ]);
  acknowledge(find(stack, /^Databases\/BootstrapFunction\/ServiceRole\/Resource$/), [BASIC_EXECUTION, VPC_EXECUTION]);
  acknowledge(
    find(stack, /^Databases\/BootstrapProvider\/framework-onEvent\//),
    providerFramework(stack, /^Databases\/BootstrapFunction\/Resource$/),
  );
  // The singleton function behind AwsCustomResource (the MSK bootstrap-broker lookup).
  acknowledge(find(stack, /^AWS679f53fac002430cb0da5b7982bd2287\//), [
    BASIC_EXECUTION,
    { id: 'AwsSolutions-L1', reason: 'The AwsCustomResource singleton and its runtime are managed by aws-cdk-lib.' },
  ]);
  acknowledge(find(stack, /^Kafka\/ScramSecret\/Resource$/), [
    {
      id: 'AwsSolutions-SMG4',
      reason:
        'MSK has no rotation for SCRAM secrets, and the Flink job on Dataproc reads a copy in Secret Manager: a new password is a planned change on both clouds (docs/deploy.md), not a schedule.',
    },
  ]);

  acknowledge(find(stack, /^KafkaAcls\/Function\/ServiceRole\/Resource$/), [BASIC_EXECUTION, VPC_EXECUTION]);
  acknowledge(
    find(stack, /^KafkaAcls\/Provider\/framework-onEvent\//),
    providerFramework(stack, /^KafkaAcls\/Function\/Resource$/),
  );

  // Network: the VPN to the analytics VPC on Google Cloud.
  acknowledge(find(stack, /^AnalyticsVpn\/Tunnel\dPreSharedKey\/Resource$/), [
    {
      id: 'AwsSolutions-SMG4',
      reason:
        'A tunnel key must change on both ends at once (the GCP tunnel reads it as a Terraform variable): rotated by a planned two-sided change, not a schedule.',
    },
  ]);
  acknowledge(find(stack, /^AnalyticsVpn\/Connection\dTunnels\/CustomResourcePolicy\/Resource$/), [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeVpnConnections, the only action allowed, supports no resource-level permission.',
    },
  ]);
  acknowledge(find(stack, /^ResultsReaderSecret\/Resource$/), [
    {
      id: 'AwsSolutions-SMG4',
      reason:
        "The API gateway's password on Cloud SQL is set by the GCP stack (a write-only Terraform variable): a new value here must be applied there too, a planned two-sided change like the tunnel keys, not a schedule.",
    },
  ]);
  acknowledge(find(stack, /^JwtSigningKeySecret\/Resource$/), [
    {
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating a symmetric signing key invalidates every issued token; the key is rotated by a planned operation (new version, gateway accepts AWSPREVIOUS for one token lifetime), not by a schedule.',
    },
  ]);

  // Notifications
  acknowledge(find(stack, /^Function\/ServiceRole\/Resource$/), [
    BASIC_EXECUTION,
    VPC_EXECUTION,
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole]',
      reason:
        'Added by the MSK event source mapping: the poller describes the cluster, gets bootstrap brokers and manages its ENIs; the data-plane kafka-cluster actions are granted separately on the one topic and group.',
    },
  ]);
  acknowledge(find(stack, /^Function\/ServiceRole\/DefaultPolicy\/Resource$/), [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    },
    {
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'Publishing to the KMS-encrypted SNS topic: data-key generation on exactly the notifications key.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(stack, /^DeadLetterBucket\/Resource$/)}.Arn>/*]`,
      reason:
        'The on-failure destination puts dead-letter objects under keys Lambda chooses; the statement allows PutObject only.',
    },
  ]);

  // Cluster
  acknowledge(find(stack, /^Cluster\/Resource$/), [
    {
      id: 'CloudFormation-Validate::W9009',
      reason:
        'aws-cdk-lib renders EncryptionConfig.Resources for envelope encryption of secrets; EKS still requires it.',
    },
  ]);
  acknowledge(find(stack, /^Cluster\/Role\/Resource$/), [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]',
      reason: 'The EKS control plane requires AmazonEKSClusterPolicy on its service role.',
    },
  ]);
  acknowledge(find(stack, /^Cluster\/NodegroupWorkers\/NodeGroupRole\/Resource$/), [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy]',
      reason: 'EKS managed node groups require AmazonEKSWorkerNodePolicy on the node role.',
    },
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKS_CNI_Policy]',
      reason: 'The VPC CNI plugin runs with the node role on a new cluster; it manages pod ENIs.',
    },
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly]',
      reason: 'Nodes pull the services images from the environment ECR repositories (read-only).',
    },
  ]);
  const ecrPublic = find(stack, /^Cluster\/KubectlProvider\/Handler\/HasEcrPublic$/)[0];
  acknowledge(find(stack, /^Cluster\/KubectlProvider\/Handler\//), [
    BASIC_EXECUTION,
    VPC_EXECUTION,
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly]',
      reason:
        'The kubectl handler pulls Helm charts stored as OCI images in ECR (read-only); the role is defined by aws-cdk-lib.',
    },
    ...(ecrPublic
      ? [
          {
            id: `AwsSolutions-IAM4[Policy::{"Fn::If":["${stack.getLogicalId(ecrPublic as CfnElement)}",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]`,
            reason: 'Read-only pulls from ECR Public, only in partitions that have it; defined by aws-cdk-lib.',
          },
        ]
      : []),
    {
      id: 'AwsSolutions-L1',
      reason: 'The kubectl handler runtime is pinned by aws-cdk-lib to match its kubectl layer.',
    },
  ]);
  acknowledge(find(stack, /^Cluster\/KubectlProvider\/Provider\/framework-onEvent\//), [
    ...providerFramework(stack, /^Cluster\/KubectlProvider\/Handler\/Resource$/),
    VPC_EXECUTION,
  ]);
  acknowledge(find(stack, /^TraceIngress\/LoadBalancer\/Resource$/), [
    {
      id: 'AwsSolutions-ELB2',
      reason:
        'A Network Load Balancer writes access logs for TLS listeners only; this one has a TCP listener (OTLP/HTTP inside the VPC), so there is nothing to log. Its security group admits the notification Lambda only.',
    },
  ]);
  acknowledge(find(stack, /^EbsCsiDriverRole\/Resource$/), [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy]',
      reason:
        'The policy AWS maintains for the EBS CSI driver: it creates, attaches and deletes volumes and snapshots, and scopes its writes by the CSI tags it puts on them.',
    },
  ]);
  acknowledge(find(stack, /^Bastion\/Instance\/InstanceRole\/Resource$/), [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        'The policy AWS maintains for the Systems Manager agent: Session Manager channels and instance registration, nothing else.',
    },
  ]);
  acknowledge(find(stack, /^Bastion\/Instance\/Resource$/), [
    {
      id: 'AwsSolutions-EC29',
      reason:
        'The bastion holds no state and is replaced by CloudFormation when its image or type changes; termination protection would block that and the stack deletion.',
    },
  ]);
  acknowledge(find(stack, /^ClusterAutoscaler\/Role\/DefaultPolicy\/Resource$/), [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Describe actions on Auto Scaling groups, launch configurations, images and instance types support no resource-level permissions.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:${stack.region}:<AWS::AccountId>:autoScalingGroup:*]`,
      reason:
        'EKS names the node groups Auto Scaling groups at run time; resizing and terminating are allowed only on groups tagged as owned by this cluster.',
    },
  ]);
  acknowledge(find(stack, /^RepositoryCredentials\/Secret\/Resource$/), [
    {
      id: 'AwsSolutions-SMG4',
      reason:
        'The token of the Git host is issued and rotated there, by a person (put-secret-value); Secrets Manager cannot rotate it. External Secrets picks a new value up within minutes.',
    },
  ]);
  acknowledge(find(stack, /^ExternalDns\/Role\/DefaultPolicy\/Resource$/), [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'route53:ListHostedZones supports no resource-level permission; record changes are allowed on the one configured hosted zone only.',
    },
  ]);
  acknowledge(
    find(stack, /^LoadBalancerController\/Role\/DefaultPolicy\/Resource$/),
    ALB_CONTROLLER_WILDCARDS.map((finding) => ({
      id: `AwsSolutions-IAM5[${finding}]`,
      reason:
        'The upstream AWS Load Balancer Controller policy: it manages load balancers, listeners, target groups and security groups created at run time, and scopes writes by the elbv2.k8s.aws/cluster tag.',
    })),
  );
}
