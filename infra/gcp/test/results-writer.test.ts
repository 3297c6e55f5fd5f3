import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FLINK_JOB_DIR, JOB_SQL } from '../../../analytics/flink-job/template';
import { MIGRATION_FILES } from '../constructs/analytics-job';
import { only, ref, resourcesOf, synthesize } from './fixture';

/** How the job's windows reach Cloud SQL: schema by migration at the job's start, rows by the job's JDBC sink. */
describe.each(['dev', 'prod'] as const)('%s: the results database gets its writer', (environment) => {
  const { tf, json } = synthesize(environment);
  const gce = (only(tf, 'google_dataproc_cluster').cluster_config as Record<string, Record<string, unknown>>)
    .gce_cluster_config as Record<string, unknown>;
  const metadata = gce.metadata as Record<string, string>;
  const objects = resourcesOf(tf, 'google_storage_bucket_object').map(([, o]) => o);
  const uploaded = (file: string) =>
    objects.find((o) => String(o.name).endsWith(`/${file}`))?.content as string | undefined;
  const users = resourcesOf(tf, 'google_sql_user').map(([, u]) => u);

  it('tells the job which instance and database to write, as which IAM user, and who applies the migrations', () => {
    const iamUser = users.find((u) => u.type === 'CLOUD_IAM_SERVICE_ACCOUNT');
    expect(metadata).toMatchObject({
      'analytics-results-instance': ref(tf, 'google_sql_database_instance', 'connection_name'),
      'analytics-results-database': ref(tf, 'google_sql_database', 'name'),
      'analytics-results-owner': ref(tf, 'google_sql_user', 'name', /_Owner_/),
      'analytics-results-owner-secret': ref(tf, 'google_secret_manager_secret', 'id', /^ResultsDatabase_OwnerSecret_/),
    });
    // The job's database user is the cluster's own service account, named as Cloud SQL names it.
    expect(metadata['analytics-results-writer']).toBe(iamUser?.name);
    const email = ref(tf, 'google_service_account', 'email').slice(2, -1);
    expect(iamUser?.name).toBe(`\${trimsuffix(${email}, ".gserviceaccount.com")}`);
  });

  it("keeps the owner's password out of the state: write-only into Cloud SQL and Secret Manager, same version", () => {
    const owner = users.find((u) => u.type === undefined);
    const [[, version]] = resourcesOf(tf, 'google_secret_manager_secret_version').filter(([id]) =>
      /_OwnerSecretVersion_/.test(id),
    ) as [[string, Record<string, unknown>]];
    expect(version).toMatchObject({
      secret: ref(tf, 'google_secret_manager_secret', 'id', /^ResultsDatabase_OwnerSecret_/),
      secret_data_wo: `\${var.results_db_owner_password}`,
    });
    expect(version.secret_data_wo_version).toBe(owner?.password_wo_version);
    expect(version.secret_data).toBeUndefined();
    expect(owner?.password).toBeUndefined();
    expect(json).not.toContain('"password":');
  });

  it('uploads every migration with the job, so a new migration is a new job version', () => {
    expect(MIGRATION_FILES.length).toBeGreaterThan(0);
    for (const file of MIGRATION_FILES) {
      expect(uploaded(file)).toBe(readFileSync(path.join(FLINK_JOB_DIR, file), 'utf8'));
    }
  });
});

describe('the job and its schema agree', () => {
  const sql = readFileSync(path.join(FLINK_JOB_DIR, JOB_SQL), 'utf8');
  const migrations = MIGRATION_FILES.map((f) => readFileSync(path.join(FLINK_JOB_DIR, f), 'utf8')).join('\n');
  const sink = /CREATE TEMPORARY TABLE window_rows \(([\s\S]*?)\) WITH \(([\s\S]*?)\n\);/.exec(sql);

  it('writes the JDBC sink as an upsert on the window start, into the table the migrations create', () => {
    expect(sink).not.toBeNull();
    const [, columns = '', options = ''] = sink ?? [];
    expect(columns).toMatch(/PRIMARY KEY \(window_start\) NOT ENFORCED/);
    expect(options).toMatch(/'connector' = 'jdbc'/);
    const table = /'table-name' = '([a-z_]+)'/.exec(options)?.[1];
    expect(migrations).toMatch(new RegExp(`CREATE TABLE ${table} \\(\\s*window_start timestamptz PRIMARY KEY`));
    // Every column the sink writes is a column of the table.
    const names = [...columns.matchAll(/^\s+([a-z_]+) [A-Z]+,?$/gm)].map((m) => m[1]);
    expect(names).toEqual(['window_start', 'window_end', 'order_count', 'revenue', 'unique_users']);
    for (const name of names) expect(migrations).toMatch(new RegExp(`^\\s+${name} [a-z]+`, 'm'));
  });

  it('sends each closed window to analytics-results and to the database in one job', () => {
    const set = /EXECUTE STATEMENT SET\s+BEGIN([\s\S]*?)END;/.exec(sql)?.[1] ?? '';
    expect([...set.matchAll(/INSERT INTO (\w+)/g)].map((m) => m[1])).toEqual(['analytics_results', 'window_rows']);
  });

  it("grants the job's identity only what an upsert needs", () => {
    expect(migrations).toMatch(/GRANT SELECT, INSERT, UPDATE ON analytics_windows TO analytics_writer;/);
    expect(migrations).toMatch(/GRANT analytics_writer TO "\$\{writer_user\}";/);
    expect(migrations).not.toMatch(/GRANT ALL|DELETE|TRUNCATE/);
  });

  it('applies the migrations before the job is submitted', () => {
    const submit = readFileSync(path.join(FLINK_JOB_DIR, 'submit-job.sh'), 'utf8');
    const migrate = submit.indexOf('"$home/migrate.sh" "$home/migrate-lib" "$home/migrations"');
    expect(migrate).toBeGreaterThan(0);
    expect(migrate).toBeLessThan(submit.search(/^sql-client\.sh /m));
  });
});
