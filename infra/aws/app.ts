import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEPLOYMENT, type PlatformQuery, shop } from '../../lib/platform';
import { acknowledgeCheckovFindings } from './checkov';
import { ClusterStack } from './cluster-stack';
import { type AwsAppConfig, stackName } from './config';
import { DataStack } from './data-stack';
import { acknowledgeFindings } from './nag';
import { NetworkStack } from './network-stack';
import { NotificationsStack } from './notifications-stack';

export interface EnvironmentStacks {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly cluster: ClusterStack;
  readonly notifications: NotificationsStack;
}

/** Composes the stack set of each environment of the catalog, with cdk-nag's AwsSolutions checks. */
export function buildAwsApp(
  app: App,
  config: AwsAppConfig,
  catalog: PlatformQuery = shop,
): Map<string, EnvironmentStacks> {
  const wanted = config.environments ?? catalog.environmentNames;
  const sets = new Map<string, EnvironmentStacks>();
  for (const name of wanted) {
    const environment = catalog.environment(name);
    const env = { account: config.accounts?.[environment.name], region: environment.region };
    const common = { environment, env, catalog };
    const network = new NetworkStack(app, stackName(environment, 'Network'), {
      ...common,
      gcpVpnAddresses: config.gcpVpnAddresses?.[environment.name],
      description: `Shopfront ${name}: VPC across three zones, flow logs, platform KMS key, VPN to the analytics VPC`,
    });
    const shared = { ...common, vpc: network.vpc };
    const data = new DataStack(app, stackName(environment, 'Data'), {
      ...shared,
      resultsDatabaseAddress: config.resultsDatabaseAddresses?.[environment.name],
      description: `Shopfront ${name}: RDS PostgreSQL, MSK, DynamoDB, S3, ECR, secrets`,
    });
    const cluster = new ClusterStack(app, stackName(environment, 'Cluster'), {
      ...shared,
      data,
      gitRepoUrl: config.gitRepoUrl,
      gitRevision: config.gitRevision,
      gitRepoPrivate: config.gitRepoPrivate,
      access: config.clusterAccess?.[environment.name],
      imageTag: config.imageTags?.[environment.name] ?? DEPLOYMENT.imageTag,
      publicEndpoint: config.publicEndpoints?.[environment.name],
      description: `Shopfront ${name}: EKS and its add-ons, autoscaler, load balancer controller and WAF, External Secrets, ArgoCD, service identities, access, bastion`,
    });
    const notifications = new NotificationsStack(app, stackName(environment, 'Notifications'), {
      ...shared,
      data,
      apiEndpoints: network.apiEndpointsSecurityGroup,
      traceIngress: cluster.traceIngress,
      description: `Shopfront ${name}: notification Lambda fed by MSK, SNS, delivery records`,
    });
    for (const stack of [network, data, cluster, notifications]) {
      acknowledgeFindings(stack);
      acknowledgeCheckovFindings(stack);
    }
    sets.set(name, { network, data, cluster, notifications });
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return sets;
}
