import { type EnvironmentName, type EnvironmentSpec, MSK_SCRAM_TLS_PORT, PRODUCT } from '../../lib/platform';

/** Terraform stack (and state prefix) of an environment: `shopfront-analytics-<env>`. */
export const stackName = (env: EnvironmentSpec): string => `${PRODUCT}-analytics-${env.name}`;

/** One of the four tunnels of an AWS Site-to-Site VPN (two connections of two tunnels), as AWS reports it. */
export interface AwsVpnTunnel {
  /** The tunnel's outside IP address on the AWS side. */
  readonly outsideIp: string;
  /** The tunnel's inside /30 in 169.254.0.0/16: AWS takes the first host address, GCP's router the second. */
  readonly insideCidr: string;
}

/**
 * What the GCP side needs from the AWS side. Everything here exists only after the AWS platform is deployed (and
 * has added SCRAM authentication and a VPN to MSK: docs/decisions/0007-flink-job-on-dataproc.md says what).
 */
export interface AwsLinkConfig {
  /**
   * MSK's SASL/SCRAM bootstrap brokers, `host:9096,...` (`BootstrapBrokerStringSaslScram`): private addresses,
   * reached through the VPN. @default - a `.invalid` placeholder: the job's start fails, naming it, until it is set
   */
  readonly mskBootstrapBrokers: string;
  /**
   * The AWS Secrets Manager secret holding the SCRAM credentials (`AmazonMSK_` prefix, required by MSK). Its
   * value is copied once into the Secret Manager secret this stack creates; the name is recorded on that secret.
   */
  readonly mskScramSecretName: string;
  /** BGP ASN of the AWS virtual private gateway. @default 64512 (AWS's default) */
  readonly awsAsn: number;
  /**
   * The four tunnels, in order: connection 1 tunnels 1 and 2 (to HA VPN interface 0), connection 2 tunnels 1
   * and 2 (to interface 1). Their pre-shared keys are Terraform variables (`vpn_tunnel_<n>_psk`), never in the
   * synthesized output. @default - none: the HA VPN gateway and router exist, their addresses are outputs for
   * the AWS side's customer gateways, and tunnels are added once AWS has created its VPN connections
   */
  readonly vpnTunnels?: readonly [AwsVpnTunnel, AwsVpnTunnel, AwsVpnTunnel, AwsVpnTunnel];
}

/** What the GCP app needs beyond the catalog: values in the repository, never the synthesizing machine's env. */
export interface GcpConfig {
  /** GCS bucket of the Terraform state, one prefix per stack; it must exist before the first deploy. */
  readonly stateBucket: string;
  /** The AWS side, per environment. */
  readonly aws: Record<EnvironmentName, AwsLinkConfig>;
  /** BGP ASN of the Cloud Router that terminates the VPN. @default 65010 */
  readonly gcpAsn: number;
  /** Restricts synthesis to these environments. @default - every environment of the catalog */
  readonly environments?: readonly EnvironmentName[];
}

const awsLinkPlaceholder = (env: EnvironmentName): AwsLinkConfig => ({
  mskBootstrapBrokers: `msk-scram-bootstrap-brokers.${env}.invalid:${MSK_SCRAM_TLS_PORT}`,
  mskScramSecretName: `AmazonMSK_${PRODUCT}-${env}-analytics`,
  awsAsn: 64512,
});

/**
 * The repository's GCP configuration. Edit it to set the state bucket and, after the AWS side is deployed, each
 * environment's MSK brokers and VPN tunnels; then `npm run synth:gcp`.
 */
export const GCP_CONFIG: GcpConfig = {
  stateBucket: 'shopfront-terraform-state',
  gcpAsn: 65010,
  aws: {
    dev: awsLinkPlaceholder('dev'),
    staging: awsLinkPlaceholder('staging'),
    prod: awsLinkPlaceholder('prod'),
  },
};

const GCS_BUCKET = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** Every problem of a configuration, as `'field' must be ..., got ...` lines; empty when it is valid. */
export function validateGcpConfig(config: GcpConfig): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, field: string, value: unknown, allowed: string) => {
    if (!ok) problems.push(`'${field}' must be ${allowed}, got ${JSON.stringify(value)}`);
  };
  check(GCS_BUCKET.test(config.stateBucket), 'stateBucket', config.stateBucket, 'a GCS bucket name');
  const asn = (n: number) =>
    Number.isInteger(n) && ((n >= 64512 && n <= 65534) || (n >= 4200000000 && n <= 4294967294));
  check(asn(config.gcpAsn), 'gcpAsn', config.gcpAsn, 'a private BGP ASN (64512..65534 or 4200000000..4294967294)');
  for (const [env, link] of Object.entries(config.aws)) {
    const at = `aws.${env}`;
    const brokers = link.mskBootstrapBrokers.split(',');
    check(
      brokers.every((b) => BROKER.test(b)),
      `${at}.mskBootstrapBrokers`,
      link.mskBootstrapBrokers,
      'a comma-separated host:port list',
    );
    check(
      /^AmazonMSK_[A-Za-z0-9/_+=.@-]+$/.test(link.mskScramSecretName),
      `${at}.mskScramSecretName`,
      link.mskScramSecretName,
      'an AWS Secrets Manager name starting with AmazonMSK_ (MSK requires the prefix)',
    );
    check(asn(link.awsAsn), `${at}.awsAsn`, link.awsAsn, 'a private BGP ASN');
    check(link.awsAsn !== config.gcpAsn, `${at}.awsAsn`, link.awsAsn, `different from gcpAsn (${config.gcpAsn})`);
    link.vpnTunnels?.forEach((t, i) => {
      const ip = IPV4.exec(t.outsideIp);
      check(
        ip?.slice(1).every((o) => Number(o) <= 255) ?? false,
        `${at}.vpnTunnels[${i}].outsideIp`,
        t.outsideIp,
        'an IPv4 address',
      );
      const inside = /^169\.254\.(\d{1,3})\.(\d{1,3})\/30$/.exec(t.insideCidr);
      check(
        inside !== null && Number(inside[1]) <= 255 && Number(inside[2]) % 4 === 0,
        `${at}.vpnTunnels[${i}].insideCidr`,
        t.insideCidr,
        'a /30 in 169.254.0.0/16 (as AWS assigns them)',
      );
    });
  }
  return problems;
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
