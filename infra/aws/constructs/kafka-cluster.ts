import {
  aws_ec2 as ec2,
  Fn,
  aws_iam as iam,
  type aws_kms as kms,
  aws_logs as logs,
  aws_msk as msk,
  RemovalPolicy,
  aws_secretsmanager as sm,
} from 'aws-cdk-lib';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  type EnvironmentSpec,
  MSK_IAM_TLS_PORT,
  MSK_SCRAM_TLS_PORT,
  mskScramSecretName,
  resourceName,
  type TopicSpec,
} from '../../../lib/platform';
import { retention } from '../retention';
import { pascal } from './names';

export const KAFKA_VERSION = '3.9.x';

export interface KafkaClusterProps {
  readonly environment: EnvironmentSpec;
  readonly vpc: ec2.IVpc;
  readonly key: kms.IKey;
  readonly topics: readonly TopicSpec[];
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The one SASL/SCRAM user (the Flink job on Dataproc, through the VPN) and the only range its listener admits.
   * Its secret is generated, encrypted with `key` and associated with the cluster; Kafka ACLs, not IAM, decide what
   * it may do, and with `allow.everyone.if.no.acl.found=false` it may do nothing without one.
   * @default - IAM authentication only
   */
  readonly scram?: { readonly username: string; readonly clientCidr: string };
}

/** An MSK cluster as its clients see it: where to connect, which group to be let in by, and the ARNs to grant on. */
export interface IKafkaCluster {
  readonly clusterArn: string;
  /** The brokers' security group. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The ARN of a catalog topic on this cluster. */
  topicArn(topic: string): string;
  /** The ARN pattern of one consumer group on this cluster. */
  groupArn(group: string): string;
}

/** What identifies a cluster created elsewhere (another stack). */
export interface KafkaClusterAttributes {
  readonly clusterArn: string;
  /** The brokers' security group. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The ARN of a topic, by catalog name. */
  readonly topicArn: (topic: string) => string;
}

/** The ARN pattern of one consumer group of a cluster (groups are not CloudFormation resources). */
function consumerGroupArn(clusterArn: string, group: string): string {
  const [, name, uuid] = [0, 1, 2].map((i) => Fn.select(i, Fn.split('/', clusterArn)));
  const prefix = Fn.select(0, Fn.split(':cluster/', clusterArn));
  return Fn.join('', [prefix, ':group/', name ?? '', '/', uuid ?? '', '/', group]);
}

/**
 * Provisioned Amazon MSK in isolated subnets: IAM authentication (and SASL/SCRAM for one user from one range, when
 * asked), TLS between clients and brokers and
 * between brokers, encrypted at rest with the environment key, broker logs in CloudWatch, and the
 * catalog's topics created as CloudFormation resources (automatic topic creation is off).
 */
export class KafkaCluster extends Construct implements IKafkaCluster {
  /** A cluster of another stack, by its ARN, its brokers' group and its topics' ARNs. */
  static fromAttributes(attrs: KafkaClusterAttributes): IKafkaCluster {
    return {
      clusterArn: attrs.clusterArn,
      securityGroup: attrs.securityGroup,
      topicArn: attrs.topicArn,
      groupArn: (group) => consumerGroupArn(attrs.clusterArn, group),
    };
  }

  readonly cluster: msk.CfnCluster;
  readonly securityGroup: ec2.SecurityGroup;
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly topicArns: ReadonlyMap<string, string>;
  /** Comma-separated `host:9098` list for IAM clients. */
  readonly bootstrapBrokersSaslIam: string;
  /** Comma-separated `host:9096` list for the SCRAM user, when there is one. */
  readonly bootstrapBrokersSaslScram?: string;
  /** The SCRAM user's credentials (`{"username","password"}`), associated with the cluster. */
  readonly scramSecret?: sm.Secret;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const env = props.environment;
    this.clusterName = resourceName(env, 'kafka');

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${env.name} MSK brokers: IAM/TLS clients on ${MSK_IAM_TLS_PORT}`,
      allowAllOutbound: false,
    });
    // Brokers replicate to each other.
    this.securityGroup.addIngressRule(this.securityGroup, ec2.Port.allTcp(), 'broker to broker');
    this.securityGroup.addEgressRule(this.securityGroup, ec2.Port.allTcp(), 'broker to broker');

    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', {
      retention: retention(env.logRetentionDays),
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    const minInsyncReplicas = Math.max(1, Math.min(2, ...props.topics.map((t) => t.replicationFactor - 1)));
    const configuration = new msk.CfnConfiguration(this, 'Configuration', {
      name: resourceName(env, 'kafka-config'),
      description: 'No automatic topics; durable writes',
      kafkaVersionsList: [KAFKA_VERSION],
      serverProperties: [
        'auto.create.topics.enable=false',
        'default.replication.factor=3',
        `min.insync.replicas=${minInsyncReplicas}`,
        'unclean.leader.election.enable=false',
        'num.partitions=3',
        // Only SCRAM clients are subject to ACLs (IAM clients to IAM policies): none of them gets anything unlisted.
        ...(props.scram ? ['allow.everyone.if.no.acl.found=false'] : []),
      ].join('\n'),
    });

    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
    this.cluster = new msk.CfnCluster(this, 'Cluster', {
      clusterName: this.clusterName,
      kafkaVersion: KAFKA_VERSION,
      numberOfBrokerNodes: env.kafka.brokersPerAz * subnets.subnetIds.length,
      brokerNodeGroupInfo: {
        instanceType: env.kafka.brokerInstanceType,
        clientSubnets: subnets.subnetIds,
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: env.kafka.volumeGiB } },
        connectivityInfo: { publicAccess: { type: 'DISABLED' } },
      },
      clientAuthentication: {
        sasl: { iam: { enabled: true }, ...(props.scram ? { scram: { enabled: true } } : {}) },
        unauthenticated: { enabled: false },
      },
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKmsKeyId: props.key.keyArn },
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
      },
      // The latest revision, so a change of server properties reaches the brokers instead of staying at revision 1.
      configurationInfo: { arn: configuration.attrArn, revision: configuration.attrLatestRevisionRevision },
      enhancedMonitoring: 'PER_TOPIC_PER_BROKER',
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
      openMonitoring: {
        prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } },
      },
    });
    this.cluster.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.clusterArn = this.cluster.attrArn;

    const topicArns = new Map<string, string>();
    for (const topic of props.topics) {
      const resource = new msk.CfnTopic(this, `${pascal(topic.name)}Topic`, {
        clusterArn: this.clusterArn,
        topicName: topic.name,
        partitionCount: topic.partitions,
        replicationFactor: topic.replicationFactor,
        configs: Fn.base64(
          JSON.stringify({
            'retention.ms': String(topic.retentionHours * 3_600_000),
            'min.insync.replicas': String(Math.min(2, Math.max(1, topic.replicationFactor - 1))),
            'cleanup.policy': 'delete',
          }),
        ),
      });
      resource.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
      topicArns.set(topic.name, resource.attrTopicArn);
    }
    this.topicArns = topicArns;

    // CloudFormation exposes no bootstrap broker attribute for provisioned clusters; ask the MSK API.
    const brokers = new AwsCustomResource(this, 'BootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: this.clusterArn },
        physicalResourceId: PhysicalResourceId.of(`${this.clusterName}-bootstrap-brokers`),
        outputPaths: ['BootstrapBrokerStringSaslIam', ...(props.scram ? ['BootstrapBrokerStringSaslScram'] : [])],
      },
      policy: AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['kafka:GetBootstrapBrokers'], resources: [this.clusterArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    this.bootstrapBrokersSaslIam = brokers.getResponseField('BootstrapBrokerStringSaslIam');

    if (props.scram) {
      // MSK reads SCRAM credentials only from secrets named AmazonMSK_* and encrypted with a customer-managed key.
      this.scramSecret = new sm.Secret(this, 'ScramSecret', {
        secretName: mskScramSecretName(env),
        description: `SASL/SCRAM credentials of Kafka user ${props.scram.username} on ${this.clusterName}`,
        encryptionKey: props.key,
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ username: props.scram.username }),
          generateStringKey: 'password',
          passwordLength: 48,
          excludePunctuation: true,
        },
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      new msk.CfnBatchScramSecret(this, 'ScramSecrets', {
        clusterArn: this.clusterArn,
        secretArnList: [this.scramSecret.secretArn],
      });
      this.securityGroup.addIngressRule(
        ec2.Peer.ipv4(props.scram.clientCidr),
        ec2.Port.tcp(MSK_SCRAM_TLS_PORT),
        `SASL/SCRAM/TLS from ${props.scram.clientCidr} only (the GCP analytics subnet, through the VPN)`,
      );
      this.bootstrapBrokersSaslScram = brokers.getResponseField('BootstrapBrokerStringSaslScram');
    }
  }

  /** The ARN of a catalog topic on this cluster. */
  topicArn(topic: string): string {
    const arn = this.topicArns.get(topic);
    if (!arn) throw new Error(`unknown topic '${topic}'; this cluster has ${[...this.topicArns.keys()].join(', ')}`);
    return arn;
  }

  /** The ARN pattern of one consumer group on this cluster (groups are not CloudFormation resources). */
  groupArn(group: string): string {
    return consumerGroupArn(this.clusterArn, group);
  }

  /** Lets `peer` reach the brokers with IAM/TLS. */
  allowClientsFrom(peer: ec2.IConnectable, description: string): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(MSK_IAM_TLS_PORT), description);
  }
}
