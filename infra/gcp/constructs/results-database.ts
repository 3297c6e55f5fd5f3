import type { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { SqlDatabase } from '@cdktf/provider-google/lib/sql-database';
import { SqlDatabaseInstance } from '@cdktf/provider-google/lib/sql-database-instance';
import { SqlUser } from '@cdktf/provider-google/lib/sql-user';
import { Fn, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { type EnvironmentSpec, resourceName } from '../../../lib/platform';

export const POSTGRES_VERSION = 'POSTGRES_17';
export const RESULTS_DATABASE = 'analytics';

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
}

/**
 * Cloud SQL for PostgreSQL holding the analytics results: a private address only (no public IP, reached through
 * Private Service Access), TLS with a client certificate required (the Cloud SQL connectors and proxy provide
 * it), IAM database authentication instead of passwords, daily backups with point-in-time recovery kept per the
 * catalog, regional (HA) where the catalog asks for Multi-AZ, deletion protection per environment.
 */
export class ResultsDatabase extends Construct {
  readonly instance: SqlDatabaseInstance;
  readonly database: SqlDatabase;

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
          sslMode: 'TRUSTED_CLIENT_CERTIFICATE_REQUIRED',
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
  }

  /**
   * Lets a service account log in as itself (IAM database authentication: no password exists) and connect
   * through the Cloud SQL connectors, on this instance only.
   */
  grantConnect(id: string, serviceAccountEmail: string, project: string): void {
    new SqlUser(this, `${id}User`, {
      // Cloud SQL names an IAM service account user by its email without `.gserviceaccount.com`.
      name: Fn.trimsuffix(serviceAccountEmail, '.gserviceaccount.com'),
      instance: this.instance.name,
      type: 'CLOUD_IAM_SERVICE_ACCOUNT',
    });
    const onThisInstance = {
      title: 'this instance only',
      expression: `resource.name == "projects/${project}/instances/${this.instance.name}" && resource.service == "sqladmin.googleapis.com"`,
    };
    for (const [suffix, role] of [
      ['Client', 'roles/cloudsql.client'],
      ['InstanceUser', 'roles/cloudsql.instanceUser'],
    ] as const) {
      new ProjectIamMember(this, `${id}${suffix}`, {
        project,
        role,
        member: `serviceAccount:${serviceAccountEmail}`,
        condition: onThisInstance,
      });
    }
  }
}
