import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, type CfnResource, aws_lambda as lambda, aws_s3 as s3 } from 'aws-cdk-lib';
import { buildAwsApp } from '../app';
import { acknowledgeCheckovFindings, checkovAcknowledgements } from '../checkov';
import { cdkContext, newApp, stacksOf, testConfig } from './fixture';

const endpoint = (env: string) => ({ hostname: `api.${env}.shop.example.org`, hostedZoneId: 'Z0123456789ABCDEFGHIJ' });

/**
 * Synthesizes every environment with cdk-nag's AwsSolutions pack, as `cdk synth` does, with everything a deployment
 * may switch on (the public endpoint with its certificate and external-dns, a private repository's credentials).
 */
function synthesize(tamper?: (sets: ReturnType<typeof buildAwsApp>) => void): { outdir: string; error?: Error } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'shopfront-nag-'));
  const app = new App({ context: cdkContext(), outdir });
  const sets = buildAwsApp(app, {
    ...testConfig(),
    gitRepoPrivate: true,
    publicEndpoints: { dev: endpoint('dev'), staging: endpoint('staging'), prod: endpoint('prod') },
  });
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

describe('checkov acknowledgements (infra/aws/checkov.ts)', () => {
  const acknowledged = (environment: string) =>
    Object.values(stacksOf(environment)).flatMap((stack) =>
      [...checkovAcknowledgements(stack)].flatMap(([path, skips]) => skips.map((s) => ({ path, ...s }))),
    );

  it('each names one check of one resource and says why', () => {
    const all = acknowledged('prod');
    expect(all.length).toBeGreaterThan(10);
    for (const a of all) {
      expect({ path: a.path, id: a.id }).toEqual({ path: a.path, id: expect.stringMatching(/^CKV2?_AWS_\d+$/) });
      expect(a.comment.length).toBeGreaterThan(60);
    }
  });

  it("are on aws-cdk-lib's machinery and on the few resources of ours named in it, nothing else", () => {
    const ours = [
      'Shopfront-Prod-Data/Databases/BootstrapFunction/Resource',
      'Shopfront-Prod-Data/KafkaAcls/Function/Resource',
      'Shopfront-Prod-Data/AccessLogsBucket/Resource',
      'Shopfront-Prod-Cluster/LoadBalancerController/Role/DefaultPolicy/Resource',
      'Shopfront-Prod-Cluster/TraceIngress/LoadBalancer/Resource',
      'Shopfront-Prod-Notifications/Function/Resource',
    ];
    const machinery =
      /\/(KubectlProvider|BootstrapProvider\/framework-onEvent|KafkaAcls\/Provider\/framework-onEvent|AWS679f53fac002430cb0da5b7982bd2287|Custom::VpcRestrictDefaultSGCustomResourceProvider)\//;
    const paths = [...new Set(acknowledged('prod').map((a) => a.path))];
    expect(paths.filter((p) => !machinery.test(p)).sort()).toEqual(ours.sort());
  });

  it('acknowledges a single-AZ database only where the catalog allows one', () => {
    expect(
      acknowledged('dev')
        .filter((a) => a.id === 'CKV_AWS_157')
        .map((a) => a.path),
    ).toEqual(['Shopfront-Dev-Data/Databases/Instance/Resource']);
    expect(acknowledged('prod').filter((a) => a.id === 'CKV_AWS_157')).toEqual([]);
  });

  it('leaves a new function of ours unacknowledged, so checkov fails on it', () => {
    const app = newApp();
    const data = buildAwsApp(app, testConfig(['dev'])).get('dev')?.data;
    if (!data) throw new Error('no dev data stack');
    const careless = new lambda.Function(data, 'CarelessFunction', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    acknowledgeCheckovFindings(data);
    expect(
      careless.node.defaultChild && (careless.node.defaultChild as CfnResource).getMetadata('checkov'),
    ).toBeUndefined();
  });
});
