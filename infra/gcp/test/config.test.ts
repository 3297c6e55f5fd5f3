import { Testing } from 'cdktf';
import { AWS_LINK_OUTPUTS, shop } from '../../../lib/platform';
import { buildGcpApp, readRepositoryJson } from '../app';
import { awsLinkFromOutputs, GCP_CONFIG, type GcpConfig, validateGcpConfig } from '../config';
import { AnalyticsJob } from '../constructs/analytics-job';
import { privateBucket } from '../constructs/private-bucket';
import { awsOutputs, type CdkOutputs, linkedConfig, outputsFile, readTestOutputs, TUNNELS } from './fixture';

const dev = shop.environment('dev');

/** The dev outputs with one output of one stack changed (`undefined` removes it). */
function devOutputsWith(key: string, value: string | undefined): CdkOutputs {
  return Object.fromEntries(
    Object.entries(awsOutputs('dev')).map(([stack, outputs]) => {
      if (!(key in outputs)) return [stack, outputs];
      const { [key]: _removed, ...rest } = outputs;
      return [stack, value === undefined ? rest : { ...rest, [key]: value }];
    }),
  );
}

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
      'an outputs file outside the repository',
      { ...GCP_CONFIG, awsOutputs: { ...GCP_CONFIG.awsOutputs, dev: '/tmp/dev.json' } },
      /^'awsOutputs.dev' must be null \(AWS not deployed yet\) or a repository-relative .json path, got "\/tmp\/dev.json"$/,
    ],
  ])('rejects %s, naming the field, what is allowed and the value', (_name, config, message) => {
    const problems = validateGcpConfig(config);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('stops synthesis with every problem listed', () => {
    const bad = { ...GCP_CONFIG, stateBucket: 'X', awsOutputs: { ...GCP_CONFIG.awsOutputs, prod: 'prod.yaml' } };
    expect(() => buildGcpApp(Testing.app(), bad)).toThrow(
      /invalid GCP configuration:\n {2}- 'stateBucket'.*\n {2}- 'awsOutputs.prod'/,
    );
  });

  it('reads the outputs file from the repository, naming it when it is missing or not JSON', () => {
    expect(() => readRepositoryJson('infra/gcp/aws-outputs/nowhere.json')).toThrow(
      'infra/gcp/aws-outputs/nowhere.json: cannot read the AWS outputs (ENOENT); deploy the AWS side with --outputs-file infra/gcp/aws-outputs/nowhere.json',
    );
    expect(() => readRepositoryJson('infra/gcp/README.md')).toThrow('infra/gcp/README.md: not JSON');
    expect(readRepositoryJson('package.json')).toMatchObject({ name: expect.any(String) });
  });

  it('stops synthesis naming the outputs file when it is not there', () => {
    const config = { ...linkedConfig('dev'), awsOutputs: { ...GCP_CONFIG.awsOutputs, dev: 'infra/gcp/none/dev.json' } };
    expect(() => buildGcpApp(Testing.app(), config, shop, readTestOutputs)).toThrow(
      'infra/gcp/none/dev.json: cannot read the AWS outputs',
    );
  });
});

describe('the AWS side, from the outputs of its deploy', () => {
  it('pairs each tunnel address with its inside range, in the order of the catalog, whatever order AWS lists', () => {
    const link = awsLinkFromOutputs(dev, awsOutputs('dev'), outputsFile('dev'));
    expect(link.vpnTunnels).toEqual(TUNNELS);
    expect(link.vpnTunnels.map((t) => t.insideCidr)).toEqual(dev.gcp.network.vpnInsideCidrs);
    expect(link.mskScramSecretName).toBe('AmazonMSK_shopfront-dev-analytics');
    expect(link.mskBootstrapBrokers.split(',')).toHaveLength(3);
  });

  it.each<[string, CdkOutputs | unknown, string]>([
    [
      'no SCRAM brokers',
      devOutputsWith(AWS_LINK_OUTPUTS.scramBrokers, undefined),
      `'KafkaBootstrapBrokersSaslScram' is missing (an output of the AWS dev stacks)`,
    ],
    [
      "brokers on the IAM listener's port",
      devOutputsWith(AWS_LINK_OUTPUTS.scramBrokers, 'b-1.example.com:9098'),
      `'KafkaBootstrapBrokersSaslScram' must be a host:9096 list (MSK's SCRAM listener), got "b-1.example.com:9098"`,
    ],
    [
      "another environment's SCRAM secret",
      devOutputsWith(AWS_LINK_OUTPUTS.scramSecretName, 'AmazonMSK_shopfront-prod-analytics'),
      `'KafkaScramSecretName' must be "AmazonMSK_shopfront-dev-analytics", got "AmazonMSK_shopfront-prod-analytics"`,
    ],
    [
      'a tunnel without its address',
      devOutputsWith(AWS_LINK_OUTPUTS.tunnelOutsideIp(3), undefined),
      `'VpnTunnel3OutsideIp' is missing (an output of the AWS dev stacks)`,
    ],
    [
      'a tunnel address that is not one',
      devOutputsWith(AWS_LINK_OUTPUTS.tunnelOutsideIp(1), '203.0.113.300'),
      `'VpnTunnel1OutsideIp' must be an IPv4 address, got "203.0.113.300"`,
    ],
    [
      "an inside range of the other connection's",
      devOutputsWith(AWS_LINK_OUTPUTS.tunnelInsideCidr(2), dev.gcp.network.vpnInsideCidrs[2]),
      `'VpnTunnel2InsideCidr' must be one of 169.254.110.0/30, 169.254.110.4/30 (the catalog's), got "169.254.110.8/30"`,
    ],
    ['a file that is not outputs', ['not', 'outputs'], 'not the outputs of a deploy'],
  ])('refuses %s, naming the output and the file', (_name, outputs, message) => {
    expect(() => awsLinkFromOutputs(dev, outputs, outputsFile('dev'))).toThrow(message);
    expect(() => awsLinkFromOutputs(dev, outputs, outputsFile('dev'))).toThrow(outputsFile('dev'));
  });

  it('lists every missing output at once', () => {
    const outputs = { 'Shopfront-Dev-Data': awsOutputs('dev')['Shopfront-dev-Data'] as Record<string, string> };
    expect(() => awsLinkFromOutputs(dev, outputs, outputsFile('dev'))).toThrow(
      /VpnTunnel1OutsideIp' is missing[\s\S]*VpnTunnel4InsideCidr' is missing/,
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
        readerUser: 'analytics_gateway',
        readerSecretId: 'projects/p/secrets/reader',
        readerPasswordVersion: 'none',
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
