/**
 * The AWS side of an environment as the GCP app reads it after the AWS deploy, for tests and for the policy tier's
 * synthesis with the link configured (linked-app.ts). No test framework here: a plain script imports it too.
 */
import {
  AWS_LINK_OUTPUTS,
  type EnvironmentName,
  MSK_SCRAM_TLS_PORT,
  mskScramSecretName,
  shop,
} from '../../../lib/platform';
import { type AwsVpnTunnel, GCP_CONFIG, type GcpConfig } from '../config';

/** The outside addresses AWS would give the four tunnels (documentation range), in the catalog's tunnel order. */
const OUTSIDE_IPS = ['203.0.113.10', '203.0.113.11', '203.0.113.20', '203.0.113.21'];

/** The dev tunnels in the catalog's order, as the GCP side should pair them. */
export const TUNNELS = shop
  .environment('dev')
  .gcp.network.vpnInsideCidrs.map((insideCidr, i) => ({ outsideIp: OUTSIDE_IPS[i] as string, insideCidr })) as [
  AwsVpnTunnel,
  AwsVpnTunnel,
  AwsVpnTunnel,
  AwsVpnTunnel,
];

export type CdkOutputs = Record<string, Record<string, string>>;

/**
 * The outputs of an environment's AWS stacks as `cdk deploy --outputs-file` writes them. AWS lists connection 2's
 * tunnels in the other order than they were specified, which the GCP side must not mind.
 */
export function awsOutputs(environment: EnvironmentName): CdkOutputs {
  const env = shop.environment(environment);
  const inside = env.gcp.network.vpnInsideCidrs;
  const network: Record<string, string> = {};
  [0, 1, 3, 2].forEach((k, i) => {
    network[AWS_LINK_OUTPUTS.tunnelOutsideIp(i + 1)] = OUTSIDE_IPS[k] as string;
    network[AWS_LINK_OUTPUTS.tunnelInsideCidr(i + 1)] = inside[k] as string;
    network[AWS_LINK_OUTPUTS.tunnelPreSharedKeySecret(i + 1)] = `shopfront-${environment}-vpn-tunnel-${i + 1}-psk`;
  });
  const broker = (n: number) =>
    `b-${n}.shopfront${environment}kafka.abc123.c2.kafka.${env.region}.amazonaws.com:${MSK_SCRAM_TLS_PORT}`;
  return {
    [`Shopfront-${environment}-Network`]: { VpcId: 'vpc-0123', ...network },
    [`Shopfront-${environment}-Data`]: {
      [AWS_LINK_OUTPUTS.scramBrokers]: [1, 2, 3].map(broker).join(','),
      [AWS_LINK_OUTPUTS.scramSecretName]: mskScramSecretName(env),
    },
  };
}

/** Where a test keeps an environment's AWS outputs. */
export const outputsFile = (environment: EnvironmentName): string => `infra/gcp/aws-outputs/${environment}.json`;

/** Reads `outputsFile(env)` as `awsOutputs(env)`; any other file does not exist. */
export function readTestOutputs(file: string): unknown {
  const environment = /^infra\/gcp\/aws-outputs\/(dev|staging|prod)\.json$/.exec(file)?.[1] as EnvironmentName;
  if (!environment) throw new Error(`${file}: cannot read the AWS outputs (ENOENT)`);
  return awsOutputs(environment);
}

/** The repository's configuration for one environment, with changes. */
export function configFor(environment: EnvironmentName, change: (c: GcpConfig) => GcpConfig = (c) => c): GcpConfig {
  return change({ ...GCP_CONFIG, environments: [environment] });
}

/** The configuration of an environment whose AWS side is deployed (its outputs in `outputsFile`). */
export function linkedConfig(environment: EnvironmentName): GcpConfig {
  return configFor(environment, (c) => ({
    ...c,
    awsOutputs: { ...c.awsOutputs, [environment]: outputsFile(environment) },
  }));
}
