import { Testing } from 'cdktf';
import { shop } from '../../../lib/platform';
import { buildGcpApp } from '../app';
import { GCP_CONFIG, type GcpConfig, validateGcpConfig } from '../config';
import { AnalyticsJob } from '../constructs/analytics-job';
import { privateBucket } from '../constructs/private-bucket';
import { TUNNELS } from './fixture';

const withDev = (change: Partial<GcpConfig['aws']['dev']>): GcpConfig => ({
  ...GCP_CONFIG,
  aws: { ...GCP_CONFIG.aws, dev: { ...GCP_CONFIG.aws.dev, ...change } },
});

describe('the GCP configuration', () => {
  it('in the repository is valid', () => {
    expect(validateGcpConfig(GCP_CONFIG)).toEqual([]);
  });

  it.each<[string, GcpConfig, RegExp]>([
    [
      'a state bucket name GCS refuses',
      { ...GCP_CONFIG, stateBucket: 'Shopfront State' },
      /^'stateBucket' must be a GCS bucket name, got "Shopfront State"$/,
    ],
    [
      'a public ASN for the Cloud Router',
      { ...GCP_CONFIG, gcpAsn: 15169 },
      /^'gcpAsn' must be a private BGP ASN .*, got 15169$/,
    ],
    [
      'brokers that are not host:port',
      withDev({ mskBootstrapBrokers: 'b-1.example:9096,b-2' }),
      /^'aws.dev.mskBootstrapBrokers' must be a comma-separated host:port list/,
    ],
    [
      'an MSK secret without the AmazonMSK_ prefix',
      withDev({ mskScramSecretName: 'shopfront/dev/scram' }),
      /^'aws.dev.mskScramSecretName' must be an AWS Secrets Manager name starting with AmazonMSK_/,
    ],
    [
      'the same ASN on both sides',
      withDev({ awsAsn: 65010 }),
      /^'aws.dev.awsAsn' must be different from gcpAsn \(65010\), got 65010$/,
    ],
    [
      'a tunnel address that is not one',
      withDev({ vpnTunnels: [{ ...TUNNELS[0], outsideIp: '203.0.113.300' }, TUNNELS[1], TUNNELS[2], TUNNELS[3]] }),
      /^'aws.dev.vpnTunnels\[0\].outsideIp' must be an IPv4 address, got "203.0.113.300"$/,
    ],
    [
      'an inside range AWS would not assign',
      withDev({ vpnTunnels: [TUNNELS[0], { ...TUNNELS[1], insideCidr: '10.0.0.0/30' }, TUNNELS[2], TUNNELS[3]] }),
      /^'aws.dev.vpnTunnels\[1\].insideCidr' must be a \/30 in 169.254.0.0\/16/,
    ],
  ])('rejects %s, naming the field, what is allowed and the value', (_name, config, message) => {
    const problems = validateGcpConfig(config);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('stops synthesis with every problem listed', () => {
    const bad = { ...withDev({ awsAsn: 65010 }), stateBucket: 'X' };
    expect(() => buildGcpApp(Testing.app(), bad)).toThrow(
      /invalid GCP configuration:\n {2}- 'stateBucket'.*\n {2}- 'aws.dev.awsAsn'/,
    );
  });
});

describe('AnalyticsJob', () => {
  const props = (scope: Parameters<Parameters<typeof Testing.synthScope>[0]>[0]) => {
    const bucket = privateBucket(scope, 'Bucket', {
      name: 'b',
      location: 'EU',
      lifecycleRules: [],
      forceDestroy: true,
      labels: {},
    });
    return {
      bucket,
      checkpointBucket: bucket,
      kafka: {
        bootstrapBrokers: 'b-1:9096',
        credentialsSecretId: 'projects/p/secrets/s',
        ordersTopic: 'orders',
        resultsTopic: 'analytics-results',
        consumerGroup: shop.consumerGroup('analytics', 'orders'),
      },
      results: {
        instanceConnectionName: 'p:europe-west1:db',
        database: 'analytics',
        writerUser: 'flink@p.iam',
        ownerUser: 'analytics_owner',
        ownerSecretId: 'projects/p/secrets/owner',
      },
      parallelism: 1,
      window: shop.streamWindow('analytics'),
    };
  };

  it('rejects windows the Flink SQL cannot express, naming the field', () => {
    const window = { ...shop.streamWindow('analytics'), outOfOrdernessMs: 1_000_000 };
    expect(() => Testing.synthScope((scope) => new AnalyticsJob(scope, 'Job', { ...props(scope), window }))).toThrow(
      `'window.outOfOrdernessMs' must be an integer in 0..999999 (Flink's INTERVAL SECOND(3)), got 1000000`,
    );
  });

  it('renders the window length into the SQL and the bound and idle timeout into the metadata', () => {
    const window = { windowMs: 120_000, outOfOrdernessMs: 1500, idleTimeoutMs: 2500 };
    let job: AnalyticsJob | undefined;
    let sql = '';
    Testing.synthScope((scope) => {
      job = new AnalyticsJob(scope, 'Job', { ...props(scope), window });
      sql = String(job.objects.find((o) => o.node.id === 'orders_windows_sql')?.contentInput);
    });
    expect(sql.match(/INTERVAL '2' MINUTE/g)).toHaveLength(3);
    expect(sql).not.toContain('WINDOW_MINUTES');
    expect(job?.metadata).toMatchObject({
      'analytics-out-of-orderness-seconds': '1.500',
      'analytics-source-idle-timeout': '2500 ms',
    });
  });

  it('rejects a parallelism below 1', () => {
    expect(() =>
      Testing.synthScope((scope) => new AnalyticsJob(scope, 'Job', { ...props(scope), parallelism: 0 })),
    ).toThrow(`'parallelism' must be an integer >= 1, got 0`);
  });

  it('names its version by the content of its files', () => {
    const versions: string[] = [];
    Testing.synthScope((scope) => {
      const common = props(scope);
      versions.push(new AnalyticsJob(scope, 'A', common).version);
      versions.push(new AnalyticsJob(scope, 'B', { ...common, parallelism: 2 }).version);
    });
    expect(versions[0]).toMatch(/^[0-9a-f]{12}$/);
    // Configuration is metadata, not content: the same files are the same version.
    expect(versions[1]).toBe(versions[0]);
  });

  it('is a new version when the window length changes the rendered SQL', () => {
    const versions: string[] = [];
    Testing.synthScope((scope) => {
      const common = props(scope);
      versions.push(new AnalyticsJob(scope, 'A', common).version);
      versions.push(
        new AnalyticsJob(scope, 'B', { ...common, window: { ...common.window, windowMs: 120_000 } }).version,
      );
    });
    expect(versions[1]).not.toBe(versions[0]);
  });
});
