import * as path from 'node:path';
import {
  CustomResource,
  Duration,
  aws_ec2 as ec2,
  type aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  aws_rds as rds,
  type aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { type EnvironmentSpec, POSTGRES_PORT, resourceName } from '../../../lib/platform';
import { retention } from '../retention';
import { pascal, sqlRole } from './names';

const LOG_EXPORTS = ['postgresql', 'upgrade'] as const;

export interface DatabaseOwner {
  /** Catalog service name. */
  readonly service: string;
  /** Database the service owns. */
  readonly database: string;
}

export interface ServiceDatabasesProps {
  readonly environment: EnvironmentSpec;
  readonly vpc: ec2.IVpc;
  readonly key: kms.IKey;
  readonly owners: readonly DatabaseOwner[];
  /** @default RemovalPolicy.SNAPSHOT */
  readonly removalPolicy?: RemovalPolicy;
  /** Days between automatic credential rotations. @default 30 */
  readonly rotationDays?: number;
}

/**
 * One RDS PostgreSQL instance in isolated subnets, with a database and a login role of its own for each
 * owning service. TLS is enforced by the server, credentials live in Secrets Manager and rotate.
 */
export class ServiceDatabases extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly securityGroup: ec2.SecurityGroup;
  /** Each owning service's credentials (JSON: host, port, dbname, username, password). */
  readonly secrets: ReadonlyMap<string, secretsmanager.ISecret>;

  constructor(scope: Construct, id: string, props: ServiceDatabasesProps) {
    super(scope, id);
    const env = props.environment;
    const rotateEvery = Duration.days(props.rotationDays ?? 30);
    const privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_6 });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${env.name} PostgreSQL: reachable only from the platform clients on ${POSTGRES_PORT}`,
      allowAllOutbound: false,
    });

    const parameters = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'TLS only, SCRAM passwords, connection logging',
      parameters: {
        'rds.force_ssl': '1',
        password_encryption: 'scram-sha-256',
        log_connections: '1',
        log_disconnections: '1',
        ssl_min_protocol_version: 'TLSv1.2',
      },
    });

    const instanceIdentifier = resourceName(env, 'postgres');
    // Created here, encrypted and with retention, instead of by RDS on first write (or by a LogRetention function).
    const logGroups = LOG_EXPORTS.map(
      (log) =>
        new logs.LogGroup(this, `${pascal(log)}Logs`, {
          logGroupName: `/aws/rds/instance/${instanceIdentifier}/${log}`,
          retention: retention(env.logRetentionDays),
          encryptionKey: props.key,
          removalPolicy: props.removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        }),
    );
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceIdentifier,
      instanceType: new ec2.InstanceType(env.database.instanceClass.replace(/^db\./, '')),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.securityGroup],
      credentials: rds.Credentials.fromGeneratedSecret('shopfront_admin', {
        secretName: `${resourceName(env, 'postgres')}/admin`,
        encryptionKey: props.key,
      }),
      parameterGroup: parameters,
      storageType: rds.StorageType.GP3,
      allocatedStorage: env.database.allocatedStorageGiB,
      maxAllocatedStorage: env.database.maxAllocatedStorageGiB,
      storageEncrypted: true,
      storageEncryptionKey: props.key,
      multiAz: env.database.multiAz,
      backupRetention: Duration.days(env.database.backupRetentionDays),
      deletionProtection: env.deletionProtection,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
      copyTagsToSnapshot: true,
      iamAuthentication: true,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      cloudwatchLogsExports: [...LOG_EXPORTS],
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.key,
      monitoringInterval: Duration.seconds(60),
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
    });
    for (const group of logGroups) this.instance.node.addDependency(group);
    this.instance.addRotationSingleUser({ automaticallyAfter: rotateEvery, vpcSubnets: privateSubnets });

    const bootstrap = this.bootstrapFunction(props);
    const secrets = new Map<string, secretsmanager.ISecret>();
    const databases: { name: string; owner: string; secretArn: string }[] = [];
    for (const owner of props.owners) {
      const role = sqlRole(owner.service);
      const secret = new rds.DatabaseSecret(this, `${pascal(owner.service)}Secret`, {
        username: role,
        dbname: owner.database,
        secretName: `${resourceName(env, owner.service)}/database`,
        encryptionKey: props.key,
        masterSecret: this.instance.secret,
      });
      const attached = secret.attach(this.instance);
      secrets.set(owner.service, attached);
      databases.push({ name: owner.database, owner: role, secretArn: attached.secretArn });
      attached.grantRead(bootstrap);
    }
    this.secrets = secrets;

    const masterSecret = this.instance.secret;
    if (!masterSecret) throw new Error('the database instance was created without a generated secret');
    masterSecret.grantRead(bootstrap);
    this.instance.connections.allowDefaultPortFrom(bootstrap, 'database bootstrap');

    const provider = new Provider(this, 'BootstrapProvider', {
      onEventHandler: bootstrap,
      logGroup: new logs.LogGroup(this, 'BootstrapProviderLogs', {
        retention: retention(env.logRetentionDays),
        encryptionKey: props.key,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      providerFunctionName: resourceName(env, 'db-bootstrap-provider'),
    });
    const databasesReady = new CustomResource(this, 'Bootstrap', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ServiceDatabases',
      properties: { MasterSecretArn: masterSecret.secretArn, Databases: databases },
    });
    // The CfnDBInstance only: the instance's subtree holds the rotations, which wait for this resource.
    const cfnInstance = this.instance.node.defaultChild;
    if (cfnInstance) databasesReady.node.addDependency(cfnInstance);

    // Multi-user rotation clones the service role, so the role has to exist before the first rotation.
    for (const owner of props.owners) {
      const secret = secrets.get(owner.service);
      if (!secret) continue;
      const rotation = this.instance.addRotationMultiUser(`${pascal(owner.service)}Rotation`, {
        secret,
        automaticallyAfter: rotateEvery,
        vpcSubnets: privateSubnets,
      });
      rotation.node.addDependency(databasesReady);
    }
  }

  private bootstrapFunction(props: ServiceDatabasesProps): NodejsFunction {
    const env = props.environment;
    const fn = new NodejsFunction(this, 'BootstrapFunction', {
      functionName: resourceName(env, 'db-bootstrap'),
      description: 'Creates each owning service its own database and login role',
      entry: path.join(__dirname, '..', 'handlers', 'db-bootstrap', 'index.ts'),
      handler: 'onEvent',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.minutes(5),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      environment: {
        // The Node.js 20+ runtimes ship the RDS CA bundle here but no longer trust it by default.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
      environmentEncryption: props.key,
      logGroup: new logs.LogGroup(this, 'BootstrapLogs', {
        retention: retention(env.logRetentionDays),
        encryptionKey: props.key,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      bundling: { format: OutputFormat.CJS, minify: true, sourceMap: true, target: 'node24' },
    });
    return fn;
  }
}
