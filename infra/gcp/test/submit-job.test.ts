import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FLINK_JOB_DIR } from '../../../analytics/flink-job/template';
import { RESULTS_DATABASE } from '../../../lib/platform';
import { linkedConfig, only, synthesize } from './fixture';

/**
 * submit-job.sh in a dry run, up to the migrations: the cluster's metadata as the stack synthesizes it, and stand-ins
 * for the metadata server, gcloud, Flink and YARN. What matters here is what migrate.sh is given for the API
 * gateway's login, with and without its password.
 */
const { tf } = synthesize('dev', linkedConfig('dev'));
const metadata = (
  (only(tf, 'google_dataproc_cluster').cluster_config as Record<string, Record<string, unknown>>)
    .gce_cluster_config as Record<string, unknown>
).metadata as Record<string, string>;

const stub = (file: string, body: string) => {
  writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(file, 0o755);
};

function dryRun(readerPasswordVersion: string, readerPassword = 'r3ader-Pa55word') {
  const dry = mkdtempSync(path.join(tmpdir(), 'submit-job-'));
  try {
    const bin = path.join(dry, 'bin');
    const home = path.join(dry, 'home');
    const meta = path.join(dry, 'meta');
    for (const dir of [bin, home, meta]) mkdirSync(dir);
    for (const [key, value] of Object.entries({
      ...metadata,
      'analytics-results-reader-password-version': readerPasswordVersion,
    })) {
      writeFileSync(path.join(meta, key), value);
    }
    stub(path.join(bin, 'metadata'), `cat "$DRY/meta/\${1#attributes/}"`);
    stub(path.join(bin, 'flink'), `[[ "$1" == --version ]] && echo 'Version: 1.20.3, Commit ID: 0000000'; exit 0`);
    stub(
      path.join(bin, 'yarn'),
      `printf 'application_1_0001\\tFlink session cluster\\tApache Flink\\troot\\tdefault\\tRUNNING\\n'`,
    );
    stub(
      path.join(bin, 'gcloud'),
      `printf '%s\\n' "$*" >> "$DRY/gcloud.log"
[[ "$1 $2" == "secrets versions" ]] || exit 1
case "\${5#--secret=}" in
  "$(cat "$DRY/meta/analytics-kafka-credentials-secret")") echo '{"username": "analytics", "password": "kafka"}' ;;
  "$(cat "$DRY/meta/analytics-results-owner-secret")") printf 'owner-password' ;;
  "$(cat "$DRY/meta/analytics-results-reader-secret")") printf '%s' "$READER_PASSWORD" ;;
  *) echo "no such secret: $5" >&2; exit 1 ;;
esac`,
    );
    // migrate.sh's stand-in records what it was given and stops the run there.
    stub(
      path.join(home, 'migrate.sh'),
      `printf '%s\\n' "owner=$FLYWAY_USER" "reader=\${RESULTS_READER_USER-unset}" "password=\${RESULTS_READER_PASSWORD-unset}" > "$DRY/migrate.env"
exit 42`,
    );
    const run = spawnSync('bash', [path.join(FLINK_JOB_DIR, 'submit-job.sh')], {
      encoding: 'utf8',
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        DRY: dry,
        READER_PASSWORD: readerPassword,
        SHOPFRONT_ANALYTICS_HOME: home,
        SHOPFRONT_METADATA_READER: path.join(bin, 'metadata'),
      },
    });
    const read = (file: string) => {
      try {
        return readFileSync(path.join(dry, file), 'utf8');
      } catch {
        return '';
      }
    };
    return { status: run.status, stderr: run.stderr, migrate: read('migrate.env'), gcloud: read('gcloud.log') };
  } finally {
    rmSync(dry, { recursive: true, force: true });
  }
}

describe("submit-job.sh hands the API gateway's password to the migrations", () => {
  it('gives migrate.sh the login and the password from Secret Manager once the stack has one', () => {
    const run = dryRun('2');
    expect(run.status).toBe(42);
    expect(run.migrate).toBe(
      `owner=${metadata['analytics-results-owner']}\nreader=${RESULTS_DATABASE.readerLogin}\npassword=r3ader-Pa55word\n`,
    );
    expect(run.gcloud).toContain(`--secret=${metadata['analytics-results-reader-secret']}`);
  });

  it('gives it the login without a password, and says so, while the stack has none', () => {
    const run = dryRun('none');
    expect(run.status).toBe(42);
    expect(run.migrate).toBe(
      `owner=${metadata['analytics-results-owner']}\nreader=${RESULTS_DATABASE.readerLogin}\npassword=unset\n`,
    );
    expect(run.stderr).toContain(`no password for ${RESULTS_DATABASE.readerLogin} yet`);
    expect(run.gcloud).not.toContain(`--secret=${metadata['analytics-results-reader-secret']}`);
  });
});
