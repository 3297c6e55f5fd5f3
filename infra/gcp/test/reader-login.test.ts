import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FLINK_JOB_DIR } from '../../../analytics/flink-job/template';
import { RESULTS_DATABASE } from '../../../lib/platform';
import { JOB_FILES } from '../constructs/analytics-job';
import { READER_PASSWORD_VARIABLE, READER_PASSWORD_VERSION_VARIABLE } from '../constructs/results-database';
import { only, ref, resourcesOf, synthesize } from './fixture';

/**
 * The API gateway's login on the results database, made by the migrations from the password AWS generated
 * (analytics/flink-job/test/reader-login.ts proves the login itself on PostgreSQL 17), and what the gateway needs
 * to verify the server.
 */
describe.each(['dev', 'prod'] as const)('%s: the API gateway can log in to the results database', (environment) => {
  const { tf, json } = synthesize(environment);
  const metadata = (
    (only(tf, 'google_dataproc_cluster').cluster_config as Record<string, Record<string, unknown>>)
      .gce_cluster_config as Record<string, unknown>
  ).metadata as Record<string, string>;
  const readerSecret = ref(tf, 'google_secret_manager_secret', 'id', /^ResultsDatabase_ReaderSecret_/);
  const versions = resourcesOf(tf, 'google_secret_manager_secret_version');
  const readerVersion = versions.find(([id]) => /_ReaderSecretVersion_/.test(id))?.[1];
  const variables = (tf as { variable?: Record<string, Record<string, unknown>> }).variable ?? {};

  it('takes the password as a sensitive variable, empty until AWS has generated it', () => {
    expect(variables[READER_PASSWORD_VARIABLE]).toMatchObject({
      type: 'string',
      sensitive: true,
      nullable: false,
      default: '',
    });
    expect(variables[READER_PASSWORD_VERSION_VARIABLE]).toMatchObject({ type: 'number', default: 1 });
  });

  it('writes it to Secret Manager write-only (never in the state), a version only when it is given', () => {
    expect(readerVersion).toMatchObject({
      secret: readerSecret,
      secret_data_wo: `\${var.${READER_PASSWORD_VARIABLE}}`,
      secret_data_wo_version: `\${var.${READER_PASSWORD_VERSION_VARIABLE}}`,
      count: `\${nonsensitive((length(var.${READER_PASSWORD_VARIABLE}) >= 1)) ? 1 : 0}`,
    });
    expect(readerVersion?.secret_data).toBeUndefined();
    expect(json).not.toMatch(/"secret_data"\s*:/);
    // Not a Cloud SQL user: the API would make it a member of cloudsqlsuperuser.
    const users = resourcesOf(tf, 'google_sql_user').map(([, u]) => u.name);
    expect(users).not.toContain(RESULTS_DATABASE.readerLogin);
  });

  it("tells the migration step the login's name and where its password is", () => {
    expect(metadata).toMatchObject({
      'analytics-results-reader': RESULTS_DATABASE.readerLogin,
      'analytics-results-reader-secret': readerSecret,
      // Once given, the version is in the metadata: a new password makes a new cluster, whose start makes the login.
      'analytics-results-reader-password-version': `\${nonsensitive((length(var.${READER_PASSWORD_VARIABLE}) >= 1)) ? tostring(var.${READER_PASSWORD_VERSION_VARIABLE}) : "none"}`,
    });
    const dependsOn = only(tf, 'google_dataproc_cluster').depends_on as string[];
    expect(dependsOn.some((d) => /ReaderSecretVersion/.test(d))).toBe(true);
    const submit = readFileSync(path.join(FLINK_JOB_DIR, 'submit-job.sh'), 'utf8');
    expect(submit).toMatch(/"\$\(meta analytics-results-reader-password-version\)" != none/);
    expect(submit).toMatch(/--secret="\$\(meta analytics-results-reader-secret\)"/);
    expect(submit).toMatch(/RESULTS_READER_USER="\$reader"/);
    expect(submit).toMatch(/export RESULTS_READER_PASSWORD="\$reader_password"/);
  });

  it('uploads and installs the verifier program migrate.sh runs beside it', () => {
    expect(JOB_FILES).toContain('ScramVerifier.java');
    const start = readFileSync(path.join(FLINK_JOB_DIR, 'start-job.sh'), 'utf8');
    const copied = /for file in ([^;]+); do\n\s+gcloud storage cp/.exec(start)?.[1]?.split(' ') ?? [];
    expect(copied).toContain('ScramVerifier.java');
    expect(copied).toContain('migrate.sh');
  });

  it('requires TLS without a Cloud SQL client certificate, which a PostgreSQL client on EKS does not have', () => {
    const instance = only(tf, 'google_sql_database_instance');
    const ip = (instance.settings as Record<string, Record<string, unknown>>).ip_configuration;
    expect(ip?.ssl_mode).toBe('ENCRYPTED_ONLY');
  });

  it("outputs the instance's server CA certificate, which the AWS setting resultsDatabaseServerCa takes", () => {
    const output = (tf as { output?: Record<string, { value: string; description?: string }> }).output
      ?.ResultsDatabaseServerCa;
    expect(output?.value).toBe(`\${${ref(tf, 'google_sql_database_instance', 'server_ca_cert').slice(2, -1)}[0].cert}`);
    expect(output?.description).toMatch(/resultsDatabaseServerCa/);
  });
});
