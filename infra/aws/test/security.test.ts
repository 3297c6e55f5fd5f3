import { Match, type Template } from 'aws-cdk-lib/assertions';
import { needsCloudIdentity, shop } from '../../../lib/platform';
import { canonical, GIT_REPO_URL, namedTemplates, resourcesOf, stacksOf, templates } from './fixture';

const dev = templates('dev');
const prod = templates('prod');

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** The statements of the inline policies attached to the role with this logical id. */
function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Roles).includes(`"${roleLogicalId}"`))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

function serviceRoleStatements(service: string): Statement[] {
  const set = stacksOf('dev');
  const role = set.data.identities.roles.get(service);
  if (!role) throw new Error(`no role for ${service}`);
  return statementsOfRole(dev.data, set.data.getLogicalId(role.node.defaultChild as never));
}

describe('network', () => {
  it('spans three zones with public, private and isolated subnets', () => {
    const subnets = resourcesOf(dev.network, 'AWS::EC2::Subnet');
    expect(subnets).toHaveLength(9);
    expect(new Set(subnets.map(([, p]) => p.AvailabilityZone))).toEqual(
      new Set(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']),
    );
    const isolated = subnets.filter(([id]) => id.includes('isolated'));
    expect(isolated.every(([, p]) => p.MapPublicIpOnLaunch === false)).toBe(true);
  });

  it('uses one NAT gateway in dev and one per zone in prod', () => {
    dev.network.resourceCountIs('AWS::EC2::NatGateway', 1);
    prod.network.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  it('logs all VPC traffic to an encrypted log group', () => {
    dev.network.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
    dev.network.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 14 });
  });
});

describe('database', () => {
  it('is encrypted, private, in isolated subnets, with IAM auth and logs exported', () => {
    dev.data.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      StorageEncrypted: true,
      KmsKeyId: Match.anyValue(),
      PubliclyAccessible: false,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    const [[, group]] = resourcesOf(dev.data, 'AWS::RDS::DBSubnetGroup') as [[string, { SubnetIds: unknown[] }]];
    expect(JSON.stringify(group.SubnetIds)).toMatch(/isolatedSubnet/);
    expect(JSON.stringify(group.SubnetIds)).not.toMatch(/privateSubnet|publicSubnet/);
  });

  it('enforces TLS on the server', () => {
    dev.data.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: Match.objectLike({ 'rds.force_ssl': '1', ssl_min_protocol_version: 'TLSv1.2' }),
    });
  });

  it('is Multi-AZ with deletion protection in prod, single-AZ and deletable in dev', () => {
    prod.data.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, DeletionProtection: true });
    dev.data.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false, DeletionProtection: false });
    prod.data.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Retain' });
    dev.data.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot' });
  });

  it('gives each owning service its own database, role and rotating secret', () => {
    const owners = shop.postgresOwners;
    dev.data.hasResourceProperties('Custom::ServiceDatabases', {
      Databases: owners.map((o) => ({
        name: o.database,
        owner: o.service.name.replace(/-/g, '_'),
        secretArn: Match.anyValue(),
      })),
    });
    // One schedule for the administrator, one per service.
    dev.data.resourceCountIs('AWS::SecretsManager::RotationSchedule', owners.length + 1);
    for (const owner of owners) {
      dev.data.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: `shopfront-dev-${owner.service.name}/database`,
        KmsKeyId: Match.anyValue(),
      });
    }
    const templates = resourcesOf(dev.data, 'AWS::SecretsManager::Secret').map(([, p]) =>
      JSON.stringify(p.GenerateSecretString),
    );
    for (const owner of owners) {
      expect(templates.some((t) => t.includes(`\\"username\\":\\"${owner.service.name.replace(/-/g, '_')}\\"`))).toBe(
        true,
      );
    }
  });

  it('accepts connections only from the cluster, the bootstrap function and the rotation functions', () => {
    // The Cluster stack names the group through the Data stack's parameter: follow it to the group.
    const all = namedTemplates('dev');
    const ingress = all
      .filter((t) => /-(Data|Cluster)$/.test(t.stackName))
      .flatMap((named) =>
        resourcesOf(named.template, 'AWS::EC2::SecurityGroupIngress').map(
          ([, p]): Record<string, unknown> => ({
            ...p,
            GroupId: canonical(p.GroupId, named, all),
          }),
        ),
      )
      .filter((p) => JSON.stringify(p.GroupId).includes('DatabasesSecurityGroup'));
    const sources = ingress.map((p) => JSON.stringify(p.SourceSecurityGroupId));
    expect(ingress.every((p) => p.SourceSecurityGroupId && p.CidrIp === undefined && p.CidrIpv6 === undefined)).toBe(
      true,
    );
    expect(sources.filter((s) => s.includes('RotationSingleUser'))).toHaveLength(1);
    for (const owner of shop.postgresOwners) {
      const rotation = `${owner.service.name
        .split('-')
        .map((p) => p[0]?.toUpperCase() + p.slice(1))
        .join('')}Rotation`;
      expect(sources.filter((s) => s.includes(rotation))).toHaveLength(1);
    }
    expect(sources.filter((s) => s.includes('BootstrapFunction'))).toHaveLength(1);
    expect(sources.filter((s) => s.includes('ClusterSecurityGroupId'))).toHaveLength(1);
    expect(ingress).toHaveLength(shop.postgresOwners.length + 3);
  });
});

describe('kafka', () => {
  it('authenticates with IAM only, over TLS, encrypted at rest, never public', () => {
    dev.data.hasResourceProperties('AWS::MSK::Cluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
      EncryptionInfo: {
        EncryptionAtRest: { DataVolumeKMSKeyId: Match.anyValue() },
        EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
      },
      BrokerNodeGroupInfo: Match.objectLike({ ConnectivityInfo: { PublicAccess: { Type: 'DISABLED' } } }),
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: Match.objectLike({ Enabled: true }) } },
      NumberOfBrokerNodes: 3,
    });
  });

  it('creates exactly the catalog topics, with their partitions and replication', () => {
    const topics = resourcesOf(dev.data, 'AWS::MSK::Topic').map(([, p]) => p);
    expect(topics.map((t) => t.TopicName).sort()).toEqual(shop.catalog.topics.map((t) => t.name).sort());
    for (const topic of shop.catalog.topics) {
      dev.data.hasResourceProperties('AWS::MSK::Topic', {
        TopicName: topic.name,
        PartitionCount: topic.partitions,
        ReplicationFactor: topic.replicationFactor,
      });
    }
  });

  it('turns automatic topic creation off', () => {
    dev.data.hasResourceProperties('AWS::MSK::Configuration', {
      ServerProperties: Match.stringLikeRegexp('auto.create.topics.enable=false'),
    });
  });

  it("runs the configuration's latest revision, so a changed property reaches the brokers", () => {
    const [[configurationId]] = resourcesOf(dev.data, 'AWS::MSK::Configuration') as [[string, unknown]];
    dev.data.hasResourceProperties('AWS::MSK::Cluster', {
      ConfigurationInfo: {
        Arn: { 'Fn::GetAtt': [configurationId, 'Arn'] },
        Revision: { 'Fn::GetAtt': [configurationId, 'LatestRevision.Revision'] },
      },
    });
  });
});

describe('tables, buckets, registries', () => {
  it('keeps delivery records encrypted with a customer key, recoverable, with TTL', () => {
    dev.data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it('blocks public access, encrypts, and denies plain HTTP on every bucket', () => {
    for (const template of [dev.data, dev.notifications]) {
      const buckets = resourcesOf(template, 'AWS::S3::Bucket');
      expect(buckets.length).toBeGreaterThan(0);
      for (const [id, bucket] of buckets) {
        expect(bucket.PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        expect(bucket.BucketEncryption).toBeDefined();
        const policies = resourcesOf(template, 'AWS::S3::BucketPolicy').filter(([, p]) =>
          JSON.stringify(p.Bucket).includes(id),
        );
        expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
      }
    }
  });

  it('logs access to the data-bearing buckets', () => {
    dev.data.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'media/' },
    });
    dev.notifications.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'notification-dead-letters/' },
    });
  });

  it('has one scanned, immutable, encrypted repository per container service', () => {
    const repos = resourcesOf(dev.data, 'AWS::ECR::Repository').map(([, p]) => p);
    expect(repos.map((r) => r.RepositoryName).sort()).toEqual(shop.containers.map((s) => `shopfront/${s.name}`).sort());
    for (const repo of repos) {
      expect(repo).toMatchObject({
        ImageScanningConfiguration: { ScanOnPush: true },
        ImageTagMutability: 'IMMUTABLE',
        EncryptionConfiguration: { EncryptionType: 'KMS' },
      });
    }
  });
});

describe('service identities', () => {
  it('binds one Pod Identity per container service that reaches AWS to its ServiceAccount, none to the others', () => {
    const associations = resourcesOf(dev.cluster, 'AWS::EKS::PodIdentityAssociation').map(([, p]) => p);
    const services = associations.filter((a) => a.Namespace === 'shopfront').map((a) => a.ServiceAccount);
    expect(services.sort()).toEqual(
      shop.containers
        .filter(needsCloudIdentity)
        .map((s) => s.name)
        .sort(),
    );
    // The storefront serves pages and reads nothing of AWS: no role exists for it at all.
    expect(services).not.toContain('storefront');
    expect(stacksOf('dev').data.identities.roles.has('storefront')).toBe(false);
    expect(associations.filter((a) => a.Namespace === 'external-secrets').map((a) => a.ServiceAccount)).toEqual([
      'external-secrets',
    ]);
  });

  it('lets the order-service write to orders and read only its own database secret', () => {
    const statements = serviceRoleStatements('order-service');
    expect(actionsOf(statements)).toEqual([
      'kafka-cluster:Connect',
      'kafka-cluster:DescribeTopic',
      'kafka-cluster:WriteData',
      'kafka-cluster:WriteDataIdempotently',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const text = JSON.stringify(statements);
    expect(text).toContain('KafkaOrdersTopic');
    expect(text).not.toContain('KafkaAnalyticsResultsTopic');
    expect(text).toContain('DatabasesOrderServiceSecretAttachment');
    expect(text).not.toMatch(/Databases(User|Product|Payment)ServiceSecret/);
  });

  it('gives the gateway the signing key and nothing of Kafka or databases', () => {
    const statements = serviceRoleStatements('api-gateway');
    expect(actionsOf(statements)).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(JSON.stringify(statements)).toContain('JwtSigningKeySecret');
  });

  it('gives the payment-service its database secret only', () => {
    const text = JSON.stringify(serviceRoleStatements('payment-service'));
    expect(text).toContain('DatabasesPaymentServiceSecretAttachment');
    expect(text).not.toContain('kafka-cluster');
    expect(text).not.toContain('JwtSigningKey');
  });

  it('decrypts secrets only through Secrets Manager, granted in the data key policy', () => {
    const set = stacksOf('dev');
    const role = set.data.identities.roles.get('order-service');
    const roleId = set.data.getLogicalId(role?.node.defaultChild as never);
    const [[, key]] = resourcesOf(dev.data, 'AWS::KMS::Key') as [[string, { KeyPolicy: { Statement: Statement[] } }]];
    const grants = key.KeyPolicy.Statement.filter((s) => JSON.stringify(s).includes(roleId));
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    });
  });

  it('uses no wildcard resource in any service identity', () => {
    for (const service of shop.containers.filter(needsCloudIdentity)) {
      for (const statement of serviceRoleStatements(service.name)) {
        expect(statement.Resource).not.toEqual('*');
        expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"|:\*"/);
      }
    }
  });

  it('lets External Secrets read exactly the services secrets', () => {
    const set = stacksOf('dev');
    const statements = statementsOfRole(
      dev.data,
      set.data.getLogicalId(set.data.externalSecretsRole.node.defaultChild as never),
    );
    const secrets = statements.filter((s) => actionsOf([s]).includes('secretsmanager:GetSecretValue'));
    const text = JSON.stringify(secrets);
    for (const owner of shop.postgresOwners)
      expect(text).toContain(
        `Databases${owner.service.name
          .split('-')
          .map((p) => p[0]?.toUpperCase() + p.slice(1))
          .join('')}SecretAttachment`,
      );
    expect(text).toContain('JwtSigningKeySecret');
    expect(text).not.toContain('admin');
  });
});

describe('cluster', () => {
  it('has a private endpoint, encrypted secrets and every control-plane log', () => {
    dev.cluster.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
      EncryptionConfig: [Match.objectLike({ Resources: ['secrets'] })],
      Logging: {
        ClusterLogging: {
          EnabledTypes: Match.arrayWith([{ Type: 'api' }, { Type: 'audit' }, { Type: 'authenticator' }]),
        },
      },
    });
  });

  it('sizes the managed node group from the catalog', () => {
    const k8s = shop.environment('prod').kubernetes;
    prod.cluster.hasResourceProperties('AWS::EKS::Nodegroup', {
      ScalingConfig: { MinSize: k8s.minNodes, DesiredSize: k8s.desiredNodes, MaxSize: k8s.maxNodes },
      InstanceTypes: [...k8s.nodeInstanceTypes],
    });
  });

  it('installs the load balancer controller, External Secrets, ArgoCD and Cluster Autoscaler', () => {
    const charts = resourcesOf(dev.cluster, 'Custom::AWSCDK-EKS-HelmChart').map(([, p]) => p.Chart);
    expect(charts.sort()).toEqual([
      'argo-cd',
      'aws-load-balancer-controller',
      'cluster-autoscaler',
      'external-secrets',
    ]);
  });

  it('points ArgoCD at the rendered manifests of its environment, with automated prune and self-heal', () => {
    const manifests = resourcesOf(dev.cluster, 'Custom::AWSCDK-EKS-KubernetesResource').map(([, p]) =>
      JSON.stringify(p.Manifest),
    );
    const application = manifests.find((m) => m.includes('\\"kind\\":\\"Application\\"'));
    expect(application).toBeDefined();
    expect(application).toContain(`\\"repoURL\\":\\"${GIT_REPO_URL}\\"`);
    expect(application).toContain('\\"path\\":\\"deploy/k8s/dev\\"');
    expect(application).toContain('\\"automated\\":{\\"prune\\":true,\\"selfHeal\\":true}');
    expect(application).toContain('\\"kind\\":\\"AppProject\\"');
    expect(application).toContain(`\\"sourceRepos\\":[\\"${GIT_REPO_URL}\\"]`);
  });
});

describe('notification Lambda', () => {
  it('is fed by MSK topic orders, reports partial failures and dead-letters to S3', () => {
    dev.notifications.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: ['orders'],
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'notification-lambda.orders' },
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLetterBucket'), 'Arn'] } },
      },
      MaximumRetryAttempts: 5,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
    });
  });

  it('publishes to a KMS-encrypted SNS topic that requires TLS', () => {
    dev.notifications.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    dev.notifications.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('reads its resource names from the environment', () => {
    dev.notifications.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          NOTIFICATION_TOPIC_ARN: Match.anyValue(),
          DELIVERY_TABLE_NAME: Match.anyValue(),
        }),
      },
    });
  });

  it('may publish, record deliveries, consume its topic and put dead letters, and nothing else', () => {
    const set = stacksOf('dev');
    const statements = statementsOfRole(
      dev.notifications,
      set.notifications.getLogicalId(set.notifications.function.role?.node.defaultChild as never),
    );
    expect(actionsOf(statements)).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
        'kafka-cluster:AlterGroup',
        'kafka-cluster:Connect',
        'kafka-cluster:DescribeClusterDynamicConfiguration',
        'kafka-cluster:DescribeGroup',
        'kafka-cluster:DescribeTopic',
        'kafka-cluster:ReadData',
        'kafka:DescribeCluster',
        'kafka:GetBootstrapBrokers',
        'kafka:ListScramSecrets',
        'kms:Decrypt',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'kms:GenerateDataKey',
        'kms:GenerateDataKey*',
        's3:ListBucket',
        's3:PutObject',
        'sns:Publish',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const group = statements.find((s) => actionsOf([s]).includes('kafka-cluster:AlterGroup'));
    expect(JSON.stringify(group?.Resource)).toContain('/notification-lambda.orders');
  });
});
