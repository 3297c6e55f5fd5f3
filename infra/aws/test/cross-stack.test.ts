import { Template } from 'aws-cdk-lib/assertions';
import { PRODUCT, shop } from '../../../lib/platform';
import { acknowledgeCheckovFindings } from '../checkov';
import { stackName } from '../config';
import { ACCESS_LOG_PREFIXES, DataStack } from '../data-stack';
import { acknowledgeFindings } from '../nag';
import { NetworkStack } from '../network-stack';
import {
  canonical,
  type NamedTemplate,
  namedTemplates,
  newApp,
  resourcesOf,
  ssmParameterName,
  stacksOf,
  testConfig,
  writtenParameter,
} from './fixture';

type Json = Record<string, unknown>;

/** Every `Fn::ImportValue` in a template, with the export it names. */
function importsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(importsOf);
  if (value === null || typeof value !== 'object') return [];
  const object = value as Json;
  if (typeof object['Fn::ImportValue'] === 'string') return [object['Fn::ImportValue']];
  return Object.values(object).flatMap(importsOf);
}

/** The template parameters that resolve SSM parameters, by the SSM parameter's name. */
function ssmParametersOf(named: NamedTemplate): string[] {
  return Object.keys(named.template.toJSON().Parameters ?? {})
    .map((id) => ssmParameterName(named.template, id))
    .filter((name): name is string => name !== undefined);
}

describe.each(shop.environmentNames)(
  '%s: what the Cluster and Notifications stacks take from the Data stack',
  (env) => {
    const all = namedTemplates(env);
    const stack = (part: string): NamedTemplate => {
      const found = all.find((t) => t.stackName.endsWith(`-${part}`));
      if (!found) throw new Error(`no ${part} stack`);
      return found;
    };
    const [data, cluster, notifications] = [stack('Data'), stack('Cluster'), stack('Notifications')];

    it.each([
      ['Cluster', cluster],
      ['Notifications', notifications],
    ])('the %s template imports no export of the Data stack', (_name, named) => {
      expect(importsOf(named.template.toJSON()).filter((name) => name.startsWith(`${data.stackName}:`))).toEqual([]);
    });

    it('both deploy after the Data stack, whose parameters they read', () => {
      const set = stacksOf(env);
      expect(set.cluster.dependencies).toContain(set.data);
      expect(set.notifications.dependencies).toContain(set.data);
    });

    it('the Data stack exports nothing, so it may replace any of its resources', () => {
      const outputs = Object.values(data.template.toJSON().Outputs ?? {}) as Json[];
      expect(outputs.filter((o) => o.Export !== undefined)).toEqual([]);
    });

    it('every platform SSM parameter the two stacks read is one the Data stack of the environment writes', () => {
      // AWS's public parameters (the bastion's AMI) are read too; the platform's own start with the product name.
      const read = [...ssmParametersOf(cluster), ...ssmParametersOf(notifications)].filter((name) =>
        name.startsWith(`/${PRODUCT}/`),
      );
      expect(read.length).toBeGreaterThan(0);
      for (const name of read) {
        expect(name.startsWith(`/${PRODUCT}/${env}/`)).toBe(true);
        expect(writtenParameter(name, [data])).toBeDefined();
      }
    });

    it("binds each service's Pod Identity to that service's role of the Data stack", () => {
      const associations = resourcesOf(cluster.template, 'AWS::EKS::PodIdentityAssociation')
        .filter(([, p]) => p.Namespace === 'shopfront')
        .map(([, p]) => [p.ServiceAccount, canonical(p.RoleArn, cluster, all)]);
      expect(associations.length).toBeGreaterThan(0);
      for (const [service, role] of associations) {
        const pascal = String(service)
          .split('-')
          .map((part) => part[0]?.toUpperCase() + part.slice(1))
          .join('');
        expect(role).toMatch(new RegExp(`^${data.stackName}/ServiceIdentities${pascal}Role[0-9A-F]{8}\\.Arn$`));
      }
    });

    it("opens the Data stack's database and broker groups to the cluster's workloads", () => {
      const rules = resourcesOf(cluster.template, 'AWS::EC2::SecurityGroupIngress').map(([, p]) =>
        canonical(p.GroupId, cluster, all),
      );
      expect(rules).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^${data.stackName}/DatabasesSecurityGroup[0-9A-F]{8}\\.GroupId$`)),
          expect.stringMatching(new RegExp(`^${data.stackName}/KafkaSecurityGroup[0-9A-F]{8}\\.GroupId$`)),
        ]),
      );
    });

    it("grants the notification function the Data stack's table, key, cluster and topic", () => {
      const resources = resourcesOf(notifications.template, 'AWS::IAM::Policy').flatMap(([, p]) =>
        ((p.PolicyDocument as { Statement: Json[] }).Statement ?? []).map((s) => ({
          actions: [s.Action].flat(),
          resources: JSON.stringify(canonical(s.Resource, notifications, all)),
        })),
      );
      const grantedOn = (action: string) =>
        resources
          .filter((s) => s.actions.includes(action))
          .map((s) => s.resources)
          .join(' ');
      expect(grantedOn('dynamodb:PutItem')).toMatch(
        new RegExp(`${data.stackName}/NotificationDeliveriesTable\\w+\\.Arn`),
      );
      expect(grantedOn('kms:Encrypt')).toMatch(new RegExp(`${data.stackName}/DataKey\\w+\\.Arn`));
      expect(grantedOn('kafka-cluster:Connect')).toMatch(new RegExp(`${data.stackName}/KafkaCluster\\w+\\.Arn`));
      expect(grantedOn('kafka-cluster:ReadData')).toMatch(
        new RegExp(`${data.stackName}/KafkaOrdersTopic\\w+\\.TopicArn`),
      );
    });

    it("delivers the dead-letter bucket's access logs to the Data stack's bucket, which admits them", () => {
      const [[, bucket]] = resourcesOf(notifications.template, 'AWS::S3::Bucket') as [[string, Json]];
      const logging = bucket.LoggingConfiguration as Json;
      expect(logging.LogFilePrefix).toBe(ACCESS_LOG_PREFIXES.notificationDeadLetters);
      const target = canonical(logging.DestinationBucketName, notifications, all) as string;
      expect(target).toMatch(new RegExp(`^${data.stackName}/AccessLogsBucket[0-9A-F]{8}$`));
      const [, policy] = resourcesOf(data.template, 'AWS::S3::BucketPolicy').find(
        ([, p]) => canonical(p.Bucket, data, all) === target,
      ) as [string, Json];
      const statement = (policy.PolicyDocument as { Statement: Json[] }).Statement.find(
        (s) =>
          s.Effect === 'Allow' &&
          JSON.stringify(s.Principal) === JSON.stringify({ Service: 'logging.s3.amazonaws.com' }) &&
          JSON.stringify(s.Resource).includes(`/${ACCESS_LOG_PREFIXES.notificationDeadLetters}*`),
      );
      expect(statement).toMatchObject({ Action: 's3:PutObject' });
    });
  },
);

describe('the Data stack', () => {
  // A grant or rule that the Cluster or Notifications stack made through an object of the Data stack would land in the
  // Data stack's template (as the access-logs bucket's policy once did): the template would differ without them.
  it('is the same whether or not the Cluster and Notifications stacks use it', () => {
    const environment = shop.environment('dev');
    const app = newApp();
    const common = { environment, env: { account: testConfig().accounts?.dev, region: environment.region } };
    const network = new NetworkStack(app, stackName(environment, 'Network'), common);
    const alone = new DataStack(app, stackName(environment, 'Data'), { ...common, vpc: network.vpc });
    for (const stack of [network, alone]) {
      acknowledgeFindings(stack);
      acknowledgeCheckovFindings(stack);
    }
    const { Resources, Outputs } = Template.fromStack(stacksOf('dev').data).toJSON();
    const standalone = Template.fromStack(alone).toJSON();
    expect(standalone.Resources).toEqual(Resources);
    expect(standalone.Outputs).toEqual(Outputs);
  });
});
