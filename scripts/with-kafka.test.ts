import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const script = path.join(__dirname, 'with-kafka.sh');

describe('scripts/with-kafka.sh', () => {
  it('refuses a security mode it does not know before starting anything, naming the allowed ones', () => {
    const run = spawnSync('bash', [script, 'true'], {
      env: { ...process.env, KAFKA_SECURITY: 'ssl' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("KAFKA_SECURITY must be plaintext or sasl-scram, got 'ssl'");
    expect(run.stdout).not.toContain('Kafka');
  });
});
