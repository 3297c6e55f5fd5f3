import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const run = (...args: string[]) =>
  spawnSync(
    process.execPath,
    ['--disable-warning=DEP0044', '--import', 'tsx', path.join(__dirname, 'linked-app.ts'), ...args],
    {
      cwd: ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', NODE_OPTIONS: '' },
      encoding: 'utf8',
    },
  );

describe('the policy tier’s GCP synthesis with the AWS side configured (linked-app.ts)', () => {
  it('writes the stack with the tunnels and the job’s SCRAM brokers', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'linked-gcp-'));
    try {
      const result = run('dev', out);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const tf = JSON.parse(readFileSync(path.join(out, 'stacks', 'shopfront-analytics-dev', 'cdk.tf.json'), 'utf8'));
      expect(Object.keys(tf.resource.google_compute_vpn_tunnel)).toHaveLength(4);
      expect(JSON.stringify(tf)).toContain(':9096');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it.each([[['qa', 'out']], [['dev']], [[]]])('refuses %j, naming the environments and the arguments', (args) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage: linked-app.ts <dev|staging|prod> <output folder>');
  });
});
