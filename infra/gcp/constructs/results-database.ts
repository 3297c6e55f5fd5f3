import type { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import { SqlDatabase } from '@cdktf/provider-google/lib/sql-database';
import { SqlDatabaseInstance } from '@cdktf/provider-google/lib/sql-database-instance';
import { SqlUser } from '@cdktf/provider-google/lib/sql-user';
import { Fn, type ITerraformDependable, Op, TerraformVariable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { type EnvironmentSpec, RESULTS_DATABASE as READER_LINK, resourceName } from '../../../lib/platform';

export const POSTGRES_VERSION = 'POSTGRES_17';
export const RESULTS_DATABASE = 'analytics';
/**
 * The built-in user that owns the results schema and applies its migrations (Cloud SQL gives IAM users no right to
 * create anything; built-in users are members of cloudsqlsuperuser). Nothing else logs in with a password.
 */
export const RESULTS_OWNER = 'analytics_owner';
/** Terraform variable of the owner's password: write-only into Cloud SQL and Secret Manager, never in the state. */
export const OWNER_PASSWORD_VARIABLE = 'results_db_owner_password';
/**
 * Terraform variable of the API gateway's password (READER_LINK.readerLogin): the one the AWS Data stack generated
 * in its Secrets Manager secret `shopfront-<env>-analytics-reader`. Write-only into Secret Manager; the migrations
 * make the login from it. Empty (the default) until AWS has generated it: then the login is not made.
 */
export const READER_PASSWORD_VARIABLE = 'results_db_reader_password';
/** Terraform variable of that password's version: raise it with a new password, so Terraform writes it again. */
export const READER_PASSWORD_VERSION_VARIABLE = 'results_db_reader_password_version';
/**
 * TLS required, no Cloud SQL client certificate: the API gateway on EKS is a plain PostgreSQL client (no connector,
 * no Google credentials), which verifies the server against the instance's CA (`verify-ca`) and logs in by SCRAM.
 */
export const SSL_MODE = 'ENCRYPTED_ONLY';

/**
 * PostgreSQL flags: IAM database authentication, and the logging CIS (and checkov) ask of Cloud SQL for
 * PostgreSQL: connections, disconnections, durations, checkpoints, lock waits, temporary files, DDL, errors,
 * pgAudit.
 */
export const DATABASE_FLAGS: Readonly<Record<string, string>> = {
  'cloudsql.iam_authentication': 'on',
  'cloudsql.enable_pgaudit': 'on',
  'pgaudit.log': 'ddl,role',
  log_checkpoints: 'on',
  log_connections: 'on',
  log_disconnections: 'on',
  log_duration: 'on',
  log_hostname: 'on',
  log_lock_waits: 'on',
  log_min_duration_statement: '-1',
  log_min_error_statement: 'error',
  log_min_messages: 'error',
  log_statement: 'ddl',
  log_temp_files: '0',
};

export interface ResultsDatabaseProps {
  readonly environment: EnvironmentSpec;
  readonly network: ComputeNetwork;
  /** Private Service Access must exist before the instance asks for a private address. */
  readonly privateServiceAccess: ITerraformDependable;
  /** Cloud KMS key of the instance's disk and backups. @default - Google-managed keys */
  readonly kmsKeyName?: string;
  /** What the owner's secret waits for (the Secret Manager API). @default - nothing */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Cloud SQL for PostgreSQL holding the analytics results: a private address only (no public IP, reached through
 * Private Service Access), TLS required (the job's Cloud SQL connector adds a client certificate; the API gateway on
 * EKS verifies the server against its CA instead), IAM database authentication for the job, a password (as a SCRAM
 * verifier) only for the owner and the gateway's read-only login, daily backups with point-in-time recovery kept per
 * the catalog, regional (HA) where the catalog asks for Multi-AZ, deletion protection per environment.
 */
export class ResultsDatabase extends Construct {
  readonly instance: SqlDatabaseInstance;
  readonly database: SqlDatabase;
  /** The schema's owner (RESULTS_OWNER), who applies the migrations. */
  readonly owner: SqlUser;
  /** Holds the owner's password (its only copy besides Cloud SQL), for the migration step. */
  readonly ownerSecret: SecretManagerSecret;
  readonly ownerSecretVersion: SecretManagerSecretVersion;
  /**
   * Holds the API gateway's password (from AWS) for the migration step, which makes its login; no version until the
   * variable `results_db_reader_password` is given.
   */
  readonly readerSecret: SecretManagerSecret;
  readonly readerSecretVersion: SecretManagerSecretVersion;
  /**
   * `results_db_reader_password_version` once the password is given, else `none`: in the cluster's metadata, so a
   * new password makes a new cluster, whose start makes the login again (a running job is never stopped to migrate).
   */
  readonly readerPasswordVersion: string;
  /** The instance's server CA certificate (PEM), which the gateway verifies the server with: the AWS setting. */
  readonly serverCaCert: string;

  constructor(scope: Construct, id: string, props: ResultsDatabaseProps) {
    super(scope, id);
    const env = props.environment;
    const sql = env.gcp.cloudSql;

    this.instance = new SqlDatabaseInstance(this, 'Instance', {
      name: resourceName(env, 'analytics-db'),
      region: env.gcp.region,
      databaseVersion: POSTGRES_VERSION,
      deletionProtection: env.deletionProtection,
      encryptionKeyName: props.kmsKeyName,
      dependsOn: [props.privateServiceAccess],
      settings: {
        edition: 'ENTERPRISE',
        tier: sql.tier,
        availabilityType: env.database.multiAz ? 'REGIONAL' : 'ZONAL',
        diskType: 'PD_SSD',
        diskSize: sql.diskGiB,
        diskAutoresize: true,
        deletionProtectionEnabled: env.deletionProtection,
        ipConfiguration: {
          ipv4Enabled: false,
          privateNetwork: props.network.id,
          sslMode: SSL_MODE,
        },
        backupConfiguration: {
          enabled: true,
          startTime: '02:00',
          pointInTimeRecoveryEnabled: true,
          transactionLogRetentionDays: Math.min(7, env.database.backupRetentionDays),
          backupRetentionSettings: { retainedBackups: env.database.backupRetentionDays, retentionUnit: 'COUNT' },
        },
        maintenanceWindow: { day: 7, hour: 3, updateTrack: 'stable' },
        insightsConfig: { queryInsightsEnabled: true, recordApplicationTags: false, recordClientAddress: false },
        databaseFlags: Object.entries(DATABASE_FLAGS).map(([name, value]) => ({ name, value })),
        userLabels: { environment: env.name, component: 'analytics' },
      },
    });

    this.database = new SqlDatabase(this, 'Database', {
      name: RESULTS_DATABASE,
      instance: this.instance.name,
      deletionPolicy: env.deletionProtection ? 'ABANDON' : 'DELETE',
    });

    // The owner's password is given at apply time (TF_VAR_results_db_owner_password) and passed only to write-only
    // arguments: Terraform sends it to Cloud SQL and to Secret Manager and keeps it in neither the plan nor the
    // state. To rotate it, give a new value and raise the version below.
    const password = new TerraformVariable(this, 'OwnerPassword', {
      type: 'string',
      sensitive: true,
      nullable: false,
      description: `Password of the results database's owner (${RESULTS_OWNER}), who applies its migrations`,
    });
    password.overrideLogicalId(OWNER_PASSWORD_VARIABLE);
    const passwordVersion = 1;
    this.owner = new SqlUser(this, 'Owner', {
      name: RESULTS_OWNER,
      instance: this.instance.name,
      passwordWo: password.stringValue,
      passwordWoVersion: passwordVersion,
      // It owns the schema: Cloud SQL cannot delete a PostgreSQL user that owns objects or holds roles.
      deletionPolicy: 'ABANDON',
    });
    this.ownerSecret = new SecretManagerSecret(this, 'OwnerSecret', {
      dependsOn: props.dependsOn,
      secretId: resourceName(env, 'results-db-owner'),
      replication: { userManaged: { replicas: [{ location: env.gcp.region }] } },
      annotations: { 'shopfront/database-user': RESULTS_OWNER },
      labels: { environment: env.name, component: 'analytics' },
    });
    this.ownerSecretVersion = new SecretManagerSecretVersion(this, 'OwnerSecretVersion', {
      secret: this.ownerSecret.id,
      secretDataWo: password.stringValue,
      secretDataWoVersion: passwordVersion,
    });

    // The gateway's password: generated by AWS, given at apply time (TF_VAR_results_db_reader_password), kept in
    // neither the plan nor the state. Only whether it is empty decides whether a version exists (not a secret).
    const readerPassword = new TerraformVariable(this, 'ReaderPassword', {
      type: 'string',
      sensitive: true,
      nullable: false,
      default: '',
      description: `Password of the API gateway's login (${READER_LINK.readerLogin}): the password of the AWS secret shopfront-${env.name}-analytics-reader. Empty until AWS has generated it; giving it (or a new one, with a higher version) makes a new Dataproc cluster, whose start makes the login`,
    });
    readerPassword.overrideLogicalId(READER_PASSWORD_VARIABLE);
    const readerPasswordVersion = new TerraformVariable(this, 'ReaderPasswordVersion', {
      type: 'number',
      nullable: false,
      default: 1,
      description: `Version of ${READER_PASSWORD_VARIABLE}: raise it with every new password, so it is written again`,
    });
    readerPasswordVersion.overrideLogicalId(READER_PASSWORD_VERSION_VARIABLE);
    this.readerSecret = new SecretManagerSecret(this, 'ReaderSecret', {
      dependsOn: props.dependsOn,
      secretId: resourceName(env, 'results-db-reader'),
      replication: { userManaged: { replicas: [{ location: env.gcp.region }] } },
      annotations: { 'shopfront/database-user': READER_LINK.readerLogin },
      labels: { environment: env.name, component: 'analytics' },
    });
    const readerPasswordGiven = Fn.nonsensitive(Op.gte(Fn.lengthOf(readerPassword.stringValue), 1));
    this.readerPasswordVersion = Token.asString(
      Fn.conditional(readerPasswordGiven, Fn.tostring(readerPasswordVersion.numberValue), 'none'),
    );
    this.readerSecretVersion = new SecretManagerSecretVersion(this, 'ReaderSecretVersion', {
      count: Token.asNumber(Fn.conditional(readerPasswordGiven, 1, 0)),
      secret: this.readerSecret.id,
      secretDataWo: readerPassword.stringValue,
      secretDataWoVersion: readerPasswordVersion.numberValue,
    });
    this.serverCaCert = this.instance.serverCaCert.get(0).cert;
  }

  /** Cloud SQL's name of a service account's IAM database user: its email without `.gserviceaccount.com`. */
  static iamUserName(serviceAccountEmail: string): string {
    return Fn.trimsuffix(serviceAccountEmail, '.gserviceaccount.com');
  }

  /** Lets `member` read the owner's password, to apply the migrations. */
  grantOwnerLogin(id: string, member: string): SecretManagerSecretIamMember {
    return new SecretManagerSecretIamMember(this, id, {
      secretId: this.ownerSecret.id,
      role: 'roles/secretmanager.secretAccessor',
      member,
    });
  }

  /** Lets `member` read the gateway's password, to make its login. */
  grantReaderPassword(id: string, member: string): SecretManagerSecretIamMember {
    return new SecretManagerSecretIamMember(this, id, {
      secretId: this.readerSecret.id,
      role: 'roles/secretmanager.secretAccessor',
      member,
    });
  }

  /**
   * Lets a service account log in as itself (IAM database authentication: no password exists) and connect
   * through the Cloud SQL connectors, on this instance only.
   */
  grantConnect(id: string, serviceAccountEmail: string, project: string): ITerraformDependable[] {
    const user = new SqlUser(this, `${id}User`, {
      name: ResultsDatabase.iamUserName(serviceAccountEmail),
      // The migrations grant it analytics_writer; a user holding SQL roles cannot be deleted through the API.
      deletionPolicy: 'ABANDON',
      instance: this.instance.name,
      type: 'CLOUD_IAM_SERVICE_ACCOUNT',
    });
    const onThisInstance = {
      title: 'this instance only',
      expression: `resource.name == "projects/${project}/instances/${this.instance.name}" && resource.service == "sqladmin.googleapis.com"`,
    };
    const grants = (
      [
        ['Client', 'roles/cloudsql.client'],
        ['InstanceUser', 'roles/cloudsql.instanceUser'],
      ] as const
    ).map(
      ([suffix, role]) =>
        new ProjectIamMember(this, `${id}${suffix}`, {
          project,
          role,
          member: `serviceAccount:${serviceAccountEmail}`,
          condition: onThisInstance,
        }),
    );
    return [user, ...grants];
  }
}
