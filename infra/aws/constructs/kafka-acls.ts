import * as path from 'node:path';
import {
  CustomResource,
  Duration,
  aws_ec2 as ec2,
  aws_iam as iam,
  type aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
} from 'aws-cdk-lib';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { type EnvironmentSpec, resourceName } from '../../../lib/platform';
import { type Grant, kafkaAclProperties } from '../handlers/kafka-acls/acls';
import { retention } from '../retention';
import type { KafkaCluster } from './kafka-cluster';

export interface KafkaAclsProps {
  readonly environment: EnvironmentSpec;
  readonly vpc: ec2.IVpc;
  /** Encrypts the function's environment and both log groups. */
  readonly key: kms.IKey;
  readonly kafka: KafkaCluster;
  /** The SASL/SCRAM user the grants are for. */
  readonly username: string;
  /** Everything the user may do; any other ACL of the user is removed. */
  readonly grants: readonly Grant[];
}

/**
 * Kafka ACLs of one SCRAM user on MSK, applied at deploy time: CloudFormation has no ACL resource, so a custom
 * resource's function (kafkajs admin, IAM authentication, in the brokers' isolated subnets) makes the user's ACLs
 * exactly `grants` on every create and update and removes them on delete
 * (docs/decisions/0022-kafka-acls-by-custom-resource.md).
 */
export class KafkaAcls extends Construct {
  readonly function: NodejsFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: KafkaAclsProps) {
    super(scope, id);
    const env = props.environment;
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${env.name} Kafka ACL function: to the brokers IAM listener only`,
      allowAllOutbound: false,
    });
    this.function = new NodejsFunction(this, 'Function', {
      functionName: resourceName(env, 'kafka-acls'),
      description: 'Makes the Kafka ACLs of the SCRAM user exactly what the platform grants it',
      entry: path.join(__dirname, '..', 'handlers', 'kafka-acls', 'index.ts'),
      handler: 'onEvent',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(2),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [securityGroup],
      environmentEncryption: props.key,
      logGroup: new logs.LogGroup(this, 'Logs', {
        retention: retention(env.logRetentionDays),
        encryptionKey: props.key,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      bundling: { format: OutputFormat.CJS, minify: true, sourceMap: true, target: 'node24' },
    });
    props.kafka.allowClientsFrom(this.function, 'Kafka ACL function');
    // ACL administration through IAM: DescribeAcls needs DescribeCluster, CreateAcls and DeleteAcls AlterCluster.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:AlterCluster'],
        resources: [props.kafka.clusterArn],
      }),
    );

    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', {
        retention: retention(env.logRetentionDays),
        encryptionKey: props.key,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      providerFunctionName: resourceName(env, 'kafka-acls-provider'),
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KafkaAcls',
      properties: kafkaAclProperties(props.kafka.bootstrapBrokersSaslIam, props.username, props.grants),
    });
  }
}
