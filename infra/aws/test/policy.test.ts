import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, aws_s3 as s3 } from 'aws-cdk-lib';
import { buildAwsApp } from '../app';
import { cdkContext, testConfig } from './fixture';

/** Synthesizes every environment with cdk-nag's AwsSolutions pack, as `cdk synth` does. */
function synthesize(tamper?: (sets: ReturnType<typeof buildAwsApp>) => void): { outdir: string; error?: Error } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'shopfront-nag-'));
  const app = new App({ context: cdkContext(), outdir });
  const sets = buildAwsApp(app, testConfig());
  tamper?.(sets);
  try {
    app.synth();
    return { outdir };
  } catch (error) {
    return { outdir, error: error as Error };
  }
}

describe('policy gate (cdk-nag AwsSolutions)', () => {
  it('finds nothing unacknowledged in any environment', () => {
    const { outdir, error } = synthesize();
    try {
      const report = path.join(outdir, 'validation-report.json');
      const details = error ? readFileSync(report, 'utf8').slice(0, 4000) : '';
      expect(details).toBe('');
      expect(error).toBeUndefined();
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('fails synthesis when a new resource breaks a rule', () => {
    const { outdir, error } = synthesize((sets) => {
      const data = sets.get('dev')?.data;
      if (!data) throw new Error('no dev data stack');
      new s3.Bucket(data, 'CarelessBucket', { enforceSSL: false });
    });
    try {
      expect(error?.message).toMatch(/AwsSolutions-S10/);
      const report = readFileSync(path.join(outdir, 'validation-report.json'), 'utf8');
      expect(report).toContain('CarelessBucket');
      expect(report).toContain('AwsSolutions-S1');
      expect(report).toContain('AwsSolutions-S10');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
