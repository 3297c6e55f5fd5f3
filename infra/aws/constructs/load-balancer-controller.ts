import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Aws, Duration, type aws_eks_v2 as eks, aws_iam as iam, Stack, aws_wafv2 as wafv2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LOAD_BALANCER_CONTROLLER_VERSION } from '../cluster-versions';
import { bindPodIdentity, podIdentityRole } from './service-identities';

const NAMESPACE = 'kube-system';
const SERVICE_ACCOUNT = 'aws-load-balancer-controller';

/**
 * The upstream IAM policy of a controller version, as aws-cdk-lib ships it beside its own `AlbController`, with the
 * partition of each resource made the deploying one.
 */
export function loadBalancerControllerPolicy(version: eks.AlbControllerVersion): iam.PolicyStatement[] {
  const file = path.join(
    path.dirname(require.resolve('aws-cdk-lib/package.json')),
    'aws-eks-v2',
    'lib',
    'addons',
    `alb-iam_policy-${version.version}.json`,
  );
  const document = JSON.parse(readFileSync(file, 'utf8')) as { Statement: { Resource?: string | string[] }[] };
  const partitioned = (resource: string) => resource.replace('arn:aws:', `arn:${Aws.PARTITION}:`);
  return document.Statement.map((statement) =>
    iam.PolicyStatement.fromJson({
      ...statement,
      Resource: Array.isArray(statement.Resource)
        ? statement.Resource.map(partitioned)
        : statement.Resource && partitioned(statement.Resource),
    }),
  );
}

export interface LoadBalancerControllerProps {
  readonly cluster: eks.Cluster;
  /** Every load balancer of IngressClass `alb` is associated with this web ACL. @default - none */
  readonly webAcl?: wafv2.CfnWebACL;
}

/**
 * The AWS Load Balancer Controller from its pinned Helm chart, running with a Pod Identity role that holds the
 * upstream policy of its version. With a web ACL, the chart's IngressClassParams of class `alb` carry its ARN, so
 * every Ingress of the class gets the ACL without naming it (and cannot opt out).
 */
export class LoadBalancerController extends Construct {
  readonly role: iam.Role;
  readonly chart: eks.HelmChart;

  constructor(scope: Construct, id: string, props: LoadBalancerControllerProps) {
    super(scope, id);
    const version = LOAD_BALANCER_CONTROLLER_VERSION;
    this.role = podIdentityRole(this, 'Role', `Pod Identity of the AWS Load Balancer Controller ${version.version}`);
    for (const statement of loadBalancerControllerPolicy(version)) this.role.addToPolicy(statement);
    const association = bindPodIdentity(
      this,
      'PodIdentity',
      props.cluster,
      { namespace: NAMESPACE, name: SERVICE_ACCOUNT },
      this.role,
    );

    this.chart = props.cluster.addHelmChart('AwsLoadBalancerController', {
      chart: 'aws-load-balancer-controller',
      repository: 'https://aws.github.io/eks-charts',
      version: version.helmChartVersion,
      namespace: NAMESPACE,
      release: 'aws-load-balancer-controller',
      // Its webhooks must answer before anything creates a Service or an Ingress.
      wait: true,
      timeout: Duration.minutes(15),
      values: {
        clusterName: props.cluster.clusterName,
        // Given, so the controller never needs the instance metadata service.
        region: Stack.of(this).region,
        vpcId: props.cluster.vpc.vpcId,
        serviceAccount: { create: true, name: SERVICE_ACCOUNT },
        // The platform exposes Ingresses only. Its Service webhook would make every Service creation in the cluster
        // fail (failurePolicy Fail) while the controller is not ready, charts installed beside it included.
        enableServiceMutatorWebhook: false,
        ...(props.webAcl ? { ingressClassParams: { spec: { wafv2AclArn: props.webAcl.attrArn } } } : {}),
      },
    });
    this.chart.node.addDependency(association);
  }
}

/**
 * A regional web ACL for the public load balancers: AWS's common rule set (OWASP-style request checks) and its
 * known-bad-inputs set (exploit patterns such as Log4j lookups), everything else allowed, metrics in CloudWatch.
 */
export function publicWebAcl(scope: Construct, id: string, name: string): wafv2.CfnWebACL {
  const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName,
  });
  const managed = (priority: number, ruleSet: string): wafv2.CfnWebACL.RuleProperty => ({
    name: ruleSet,
    priority,
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: ruleSet } },
    overrideAction: { none: {} },
    visibilityConfig: visibility(ruleSet),
  });
  return new wafv2.CfnWebACL(scope, id, {
    name,
    description: 'Public load balancers: AWS managed common and known-bad-inputs rules',
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    rules: [managed(0, 'AWSManagedRulesCommonRuleSet'), managed(1, 'AWSManagedRulesKnownBadInputsRuleSet')],
    visibilityConfig: visibility(name),
  });
}
