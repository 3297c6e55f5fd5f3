import * as path from 'node:path';
import {
  Annotations,
  CfnOutput,
  Duration,
  aws_ec2 as ec2,
  aws_iam as iam,
  type aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  type aws_s3 as s3,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { ManagedKafkaEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { MSK_IAM_TLS_PORT, type PlatformQuery, resourceName, shop, TRACE_COLLECTOR } from '../../lib/platform';
import { DataReferences } from './constructs/data-parameters';
import { WriteOnlyS3OnFailureDestination } from './constructs/dead-letter-bucket';
import { allowEgressTo, allowIngressFrom } from './constructs/ingress';
import { privateBucket } from './constructs/private-bucket';
import { kafkaStatements } from './constructs/service-identities';
import type { TraceIngress } from './constructs/trace-ingress';
import { ACCESS_LOG_PREFIXES, type DataStack } from './data-stack';
import { PlatformStack, type PlatformStackProps } from './platform-stack';
import { retention } from './retention';

const SERVICE = 'notification-lambda';
const HTTPS_PORT = 443;

export interface NotificationsStackProps extends PlatformStackProps {
  readonly vpc: ec2.IVpc;
  /** The environment's Data stack: this stack reads its parameters, never its exports. */
  readonly data: DataStack;
  /** The group of the Lambda and STS endpoints in the brokers' subnets, which the event source mapping calls. */
  readonly apiEndpoints: ec2.ISecurityGroup;
  /** The cluster's trace collector behind an internal load balancer: the function sends its spans there. */
  readonly traceIngress: TraceIngress;
  /** @default the platform catalog */
  readonly catalog?: PlatformQuery;
}

/**
 * The notification Lambda fed by MSK: one confirmation per `order.created` through a KMS-encrypted SNS
 * topic, delivery recorded in DynamoDB so a redelivered event never notifies twice. Records that keep
 * failing land in an encrypted dead-letter bucket.
 */
export class NotificationsStack extends PlatformStack {
  readonly function: NodejsFunction;
  readonly topic: sns.Topic;
  readonly deadLetterBucket: s3.Bucket;
  /** Encrypts the topic, the dead letters, the function's environment and logs. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: NotificationsStackProps) {
    super(scope, id, props);
    const env = this.platformEnv;
    const catalog = props.catalog ?? shop;
    const service = catalog.service(SERVICE);
    this.key = this.newKey('NotificationsKey', 'notifications', `Encrypts ${env.name} order confirmations`);
    const key = this.key;
    const data = new DataReferences(this, 'Data', { parameters: props.data.parameters });
    const table = data.table(SERVICE);
    const [consumed] = service.consumes;
    if (!consumed || service.consumes.length !== 1) {
      throw new Error(`'${SERVICE}.consumes' must name exactly one topic, got ${JSON.stringify(service.consumes)}`);
    }

    this.topic = new sns.Topic(this, 'ConfirmationsTopic', {
      topicName: resourceName(env, 'order-confirmations'),
      displayName: 'Shopfront order confirmations',
      masterKey: key,
      enforceSSL: true,
    });

    this.deadLetterBucket = privateBucket(this, 'DeadLetterBucket', {
      encryptionKey: key,
      accessLogs: { bucket: data.accessLogsBucket, prefix: ACCESS_LOG_PREFIXES.notificationDeadLetters },
      lifecycleRules: [{ expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(7) }],
      removalPolicy: this.statefulRemovalPolicy,
    });
    Annotations.of(this.deadLetterBucket).acknowledgeWarning(
      '@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
      'The Data stack, which owns the access-logs bucket, lets S3 deliver logs under ACCESS_LOG_PREFIXES.',
    );

    const securityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: props.vpc,
      description: `${SERVICE}: egress to MSK and AWS APIs only`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs (SNS, DynamoDB, STS) over TLS');
    const kafka = data.kafka;
    const kafkaGroup = kafka.securityGroup;
    allowIngressFrom(this, 'KafkaFromFunction', kafkaGroup, securityGroup, MSK_IAM_TLS_PORT, SERVICE);
    securityGroup.addEgressRule(
      ec2.Peer.securityGroupId(kafkaGroup.securityGroupId),
      ec2.Port.tcp(MSK_IAM_TLS_PORT),
      'MSK brokers (IAM over TLS)',
    );
    const otlp = TRACE_COLLECTOR.otlpHttpPort;
    allowIngressFrom(this, 'TraceIngressFromFunction', props.traceIngress.securityGroup, securityGroup, otlp, SERVICE);
    securityGroup.addEgressRule(
      ec2.Peer.securityGroupId(props.traceIngress.securityGroup.securityGroupId),
      ec2.Port.tcp(otlp),
      "the cluster's trace collector (OTLP/HTTP)",
    );

    this.function = new NodejsFunction(this, 'Function', {
      functionName: resourceName(env, SERVICE),
      description: service.description,
      entry: path.join(__dirname, '..', '..', 'services', SERVICE, 'handler.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      environment: {
        NOTIFICATION_TOPIC_ARN: this.topic.topicArn,
        DELIVERY_TABLE_NAME: table.tableName,
        DELIVERY_RECORD_TTL_DAYS: '30',
        // The kit's exporter: the invocation spans join the order's trace in the cluster's collector.
        OTEL_EXPORTER_OTLP_ENDPOINT: props.traceIngress.endpoint,
        DEPLOYMENT_ENVIRONMENT: env.name,
      },
      environmentEncryption: key,
      logGroup: new logs.LogGroup(this, 'FunctionLogs', {
        retention: retention(env.logRetentionDays),
        encryptionKey: key,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      tracing: lambda.Tracing.ACTIVE,
      bundling: { format: OutputFormat.CJS, minify: true, sourceMap: true, target: 'node24' },
    });
    this.topic.grantPublish(this.function);
    // Claim and complete are conditional puts, release a conditional delete; nothing is read.
    table.grant(this.function, 'dynamodb:PutItem', 'dynamodb:DeleteItem');
    table.encryptionKey?.grant(this.function, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');

    // With IAM authentication the event source mapping polls as the function's role.
    const consumerGroup = (s: string, t: string) => catalog.consumerGroup(s, t);
    for (const statement of kafkaStatements(service, { kafka, consumerGroup }))
      this.function.addToRolePolicy(statement);
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeClusterDynamicConfiguration'],
        resources: [kafka.clusterArn],
      }),
    );

    // The mapping's pollers run in the brokers' subnets with the brokers' security group, and call Lambda and STS
    // through the endpoints there (docs/decisions/0011-lambda-and-sts-endpoints-for-msk.md).
    const pollers = kafka.securityGroup;
    allowIngressFrom(this, 'ApiEndpointsFromPollers', props.apiEndpoints, pollers, HTTPS_PORT, `${SERVICE} pollers`);
    allowEgressTo(this, 'PollersToApiEndpoints', pollers, props.apiEndpoints, HTTPS_PORT, 'Lambda and STS endpoints');

    this.function.addEventSource(
      new ManagedKafkaEventSource({
        clusterArn: kafka.clusterArn,
        topic: consumed,
        consumerGroupId: catalog.consumerGroup(SERVICE, consumed),
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        retryAttempts: 5,
        // Kafka error handling (partial batch responses, retries, on-failure destination) needs provisioned pollers.
        provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 3 },
        onFailure: new WriteOnlyS3OnFailureDestination(this.deadLetterBucket),
      }),
    );

    new CfnOutput(this, 'FunctionName', { value: this.function.functionName });
    new CfnOutput(this, 'ConfirmationsTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'DeadLetterBucketName', { value: this.deadLetterBucket.bucketName });
  }
}
