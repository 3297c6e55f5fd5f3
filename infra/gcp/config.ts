import {
  AWS_LINK_OUTPUTS,
  type EnvironmentName,
  type EnvironmentSpec,
  MSK_SCRAM_TLS_PORT,
  mskScramSecretName,
  PRODUCT,
} from '../../lib/platform';

/** Terraform stack (and state prefix) of an environment: `shopfront-analytics-<env>`. */
export const stackName = (env: EnvironmentSpec): string => `${PRODUCT}-analytics-${env.name}`;

/** One of the four tunnels of the AWS Site-to-Site VPN (two connections of two tunnels), as AWS reports it. */
export interface AwsVpnTunnel {
  /** The tunnel's outside IP address on the AWS side. */
  readonly outsideIp: string;
  /** The tunnel's inside /30, one of the catalog's `vpnInsideCidrs`: AWS takes the first host, GCP's router the second. */
  readonly insideCidr: string;
}

/**
 * What the GCP side takes from the deployed AWS side, read from the AWS stacks' outputs and checked against the
 * catalog entries both sides are built from (docs/decisions/0007-flink-job-on-dataproc.md).
 */
export interface AwsLink {
  /** MSK's SASL/SCRAM bootstrap brokers, `host:9096,...`: private addresses, reached through the VPN. */
  readonly mskBootstrapBrokers: string;
  /** The AWS Secrets Manager secret of the SCRAM credentials; recorded on the Secret Manager secret that holds a copy. */
  readonly mskScramSecretName: string;
  /** The four tunnels, in the order of the catalog's `vpnInsideCidrs` (which is the order of their key variables). */
  readonly vpnTunnels: readonly [AwsVpnTunnel, AwsVpnTunnel, AwsVpnTunnel, AwsVpnTunnel];
}

/** What the GCP app needs beyond the catalog: values in the repository, never the synthesizing machine's env. */
export interface GcpConfig {
  /** GCS bucket of the Terraform state, one prefix per stack; it must exist before the first deploy. */
  readonly stateBucket: string;
  /**
   * Per environment, the file `cdk deploy --outputs-file` wrote for the AWS side (relative to the repository root,
   * committed: it holds addresses and names, no secret), or `null` before the AWS side exists. With `null` the stack
   * is the first phase of a deploy: the HA VPN gateway whose addresses the AWS side needs, no tunnels, and a job
   * without brokers, which refuses to start and says why. A file that lacks a value stops synthesis, naming it.
   */
  readonly awsOutputs: Readonly<Record<EnvironmentName, string | null>>;
  /** Restricts synthesis to these environments. @default - every environment of the catalog */
  readonly environments?: readonly EnvironmentName[];
}

/**
 * The repository's GCP configuration. Set the state bucket; after the AWS side of an environment is deployed, point
 * its `awsOutputs` at the outputs file (docs/deploy.md); then `npm run synth:gcp`.
 */
export const GCP_CONFIG: GcpConfig = {
  stateBucket: 'shopfront-terraform-state',
  awsOutputs: { dev: null, staging: null, prod: null },
};

const GCS_BUCKET = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOST = /^[A-Za-z0-9.-]+$/;

/** Every problem of a configuration, as `'field' must be ..., got ...` lines; empty when it is valid. */
export function validateGcpConfig(config: GcpConfig): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, field: string, value: unknown, allowed: string) => {
    if (!ok) problems.push(`'${field}' must be ${allowed}, got ${JSON.stringify(value)}`);
  };
  check(GCS_BUCKET.test(config.stateBucket), 'stateBucket', config.stateBucket, 'a GCS bucket name');
  for (const [env, file] of Object.entries(config.awsOutputs)) {
    check(
      file === null || (typeof file === 'string' && /^[\w./-]+\.json$/.test(file) && !file.startsWith('/')),
      `awsOutputs.${env}`,
      file,
      'null (AWS not deployed yet) or a repository-relative .json path',
    );
  }
  return problems;
}

/**
 * The AWS side of an environment from the outputs `cdk deploy --outputs-file` wrote (`source` names the file in
 * errors). Every output is looked up by its key in whichever AWS stack has it (the keys are unique across stacks)
 * and checked against the catalog: brokers on MSK's SCRAM port, the secret name, inside ranges of the catalog.
 * Throws with every problem, each naming the output and the file.
 */
export function awsLinkFromOutputs(env: EnvironmentSpec, outputs: unknown, source: string): AwsLink {
  const problems: string[] = [];
  const stacks =
    outputs !== null && typeof outputs === 'object' && !Array.isArray(outputs)
      ? Object.values(outputs as Record<string, unknown>).filter(
          (o): o is Record<string, unknown> => o !== null && typeof o === 'object',
        )
      : [];
  if (stacks.length === 0) {
    throw new Error(`${source}: not the outputs of a deploy (cdk deploy --outputs-file writes {stack: {key: value}})`);
  }
  const output = (key: string, allowed: string, ok: (value: string) => boolean): string => {
    const found = stacks.filter((s) => key in s).map((s) => s[key]);
    if (found.length === 0) {
      problems.push(`'${key}' is missing (an output of the AWS ${env.name} stacks)`);
      return '';
    }
    const [value] = found;
    if (found.length > 1 || typeof value !== 'string' || !ok(value)) {
      problems.push(`'${key}' must be ${allowed}, got ${JSON.stringify(found.length > 1 ? found : value)}`);
      return '';
    }
    return value;
  };
  const port = String(MSK_SCRAM_TLS_PORT);
  const mskBootstrapBrokers = output(AWS_LINK_OUTPUTS.scramBrokers, `a host:${port} list (MSK's SCRAM listener)`, (v) =>
    v.split(',').every((b) => {
      const [host, p, ...rest] = b.split(':');
      return rest.length === 0 && HOST.test(host ?? '') && p === port;
    }),
  );
  const secretName = mskScramSecretName(env);
  const scramSecretName = output(AWS_LINK_OUTPUTS.scramSecretName, `"${secretName}"`, (v) => v === secretName);
  const inside = env.gcp.network.vpnInsideCidrs;
  const reported = [1, 2, 3, 4].map((n) => {
    // Tunnels 1-2 belong to connection 1 (catalog ranges 0-1), 3-4 to connection 2 (ranges 2-3), in any order.
    const pair = n <= 2 ? inside.slice(0, 2) : inside.slice(2);
    return {
      outsideIp: output(AWS_LINK_OUTPUTS.tunnelOutsideIp(n), 'an IPv4 address', (v) => IPV4.test(v)),
      insideCidr: output(AWS_LINK_OUTPUTS.tunnelInsideCidr(n), `one of ${pair.join(', ')} (the catalog's)`, (v) =>
        pair.includes(v),
      ),
    };
  });
  const tunnels = inside.map((cidr) => reported.find((t) => t.insideCidr === cidr));
  if (problems.length === 0) {
    tunnels.forEach((t, i) => {
      if (!t) problems.push(`no tunnel output has the inside range ${inside[i]} (environments[${env.name}].gcp)`);
    });
  }
  if (problems.length > 0) {
    throw new Error(`AWS outputs of ${env.name} in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return {
    mskBootstrapBrokers,
    mskScramSecretName: scramSecretName,
    vpnTunnels: tunnels as unknown as AwsLink['vpnTunnels'],
  };
}

/** The address of the GCP side of a tunnel: the second host of its inside /30. */
export function gcpInsideAddress(tunnel: AwsVpnTunnel): string {
  const [network] = tunnel.insideCidr.split('/');
  const octets = (network ?? '').split('.').map(Number);
  return [...octets.slice(0, 3), (octets[3] ?? 0) + 2].join('.');
}

/** The address of the AWS side of a tunnel: the first host of its inside /30. */
export function awsInsideAddress(tunnel: AwsVpnTunnel): string {
  const [network] = tunnel.insideCidr.split('/');
  const octets = (network ?? '').split('.').map(Number);
  return [...octets.slice(0, 3), (octets[3] ?? 0) + 1].join('.');
}
