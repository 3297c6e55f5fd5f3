import { ComputeExternalVpnGateway } from '@cdktf/provider-google/lib/compute-external-vpn-gateway';
import { ComputeHaVpnGateway } from '@cdktf/provider-google/lib/compute-ha-vpn-gateway';
import type { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeRouter } from '@cdktf/provider-google/lib/compute-router';
import { ComputeRouterInterface } from '@cdktf/provider-google/lib/compute-router-interface';
import { ComputeRouterPeer } from '@cdktf/provider-google/lib/compute-router-peer';
import { ComputeVpnTunnel } from '@cdktf/provider-google/lib/compute-vpn-tunnel';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { type ITerraformDependable, TerraformOutput, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { CROSS_CLOUD_LINK, type EnvironmentSpec, mskScramSecretName, resourceName } from '../../../lib/platform';
import { type AwsLink, awsInsideAddress, gcpInsideAddress } from '../config';

export interface AwsKafkaLinkProps {
  readonly environment: EnvironmentSpec;
  readonly network: ComputeNetwork;
  /** The ranges AWS learns through BGP (`gcpAdvertisedRanges`): the Dataproc subnet and Private Service Access. */
  readonly advertisedRanges: readonly { readonly range: string; readonly description: string }[];
  /** The deployed AWS side. @default - none yet: the gateway and router only, no tunnels, no brokers */
  readonly aws?: AwsLink;
  /** What the secret waits for (the Secret Manager API). @default - nothing */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The declared path from Dataproc to Amazon MSK: an HA VPN from the analytics VPC to the AWS VPC (four tunnels
 * with BGP, 99.99% SLA on the GCP side), and the credentials of MSK's SASL/SCRAM listener in Secret Manager.
 * The brokers stay private; the VPC ranges cannot overlap (the catalog checks).
 *
 * Tunnels are created when the AWS side is deployed (`aws`); their pre-shared keys are sensitive Terraform variables,
 * given at apply time from the AWS secrets, so they are never in the synthesized output. ASNs and inside ranges are
 * the catalog's (`CROSS_CLOUD_LINK`, `gcp.network.vpnInsideCidrs`), the ones the AWS side is built from.
 */
export class AwsKafkaLink extends Construct {
  readonly gateway: ComputeHaVpnGateway;
  readonly router: ComputeRouter;
  readonly tunnels: readonly ComputeVpnTunnel[];
  /** Holds `{"username": ..., "password": ...}` of the SCRAM user; its value is added out of band. */
  readonly credentialsSecret: SecretManagerSecret;
  /** `host:9096,...`; empty until the AWS side is deployed. */
  readonly bootstrapBrokers: string;

  constructor(scope: Construct, id: string, props: AwsKafkaLinkProps) {
    super(scope, id);
    const env = props.environment;
    this.bootstrapBrokers = props.aws?.mskBootstrapBrokers ?? '';

    this.gateway = new ComputeHaVpnGateway(this, 'Gateway', {
      name: resourceName(env, 'to-aws'),
      region: env.gcp.region,
      network: props.network.id,
    });
    this.router = new ComputeRouter(this, 'Router', {
      name: resourceName(env, 'to-aws'),
      region: env.gcp.region,
      network: props.network.id,
      bgp: {
        asn: CROSS_CLOUD_LINK.gcpAsn,
        advertiseMode: 'CUSTOM',
        advertisedIpRanges: props.advertisedRanges.map(({ range, description }) => ({ range, description })),
      },
    });
    new TerraformOutput(this, 'GatewayAddresses', {
      description: 'HA VPN interface addresses: the AWS side creates one customer gateway for each',
      value: [0, 1].map((i) => this.gateway.vpnInterfaces.get(i).ipAddress),
    });

    const tunnels: ComputeVpnTunnel[] = [];
    const awsTunnels = props.aws?.vpnTunnels;
    if (awsTunnels) {
      const peer = new ComputeExternalVpnGateway(this, 'AwsGateway', {
        name: resourceName(env, 'aws-vgw'),
        description: `AWS Site-to-Site VPN of the ${env.name} VPC (two connections, four tunnels)`,
        redundancyType: 'FOUR_IPS_REDUNDANCY',
        interface: awsTunnels.map((t, i) => ({ id: i, ipAddress: t.outsideIp })),
      });
      awsTunnels.forEach((tunnel, i) => {
        const n = i + 1;
        const psk = new TerraformVariable(this, `Tunnel${n}Psk`, {
          type: 'string',
          sensitive: true,
          nullable: false,
          description: `Pre-shared key of AWS VPN tunnel ${n} (${tunnel.insideCidr}): the AWS output VpnTunnel${n}PreSharedKeySecret names its secret`,
        });
        psk.overrideLogicalId(`vpn_tunnel_${n}_psk`);
        const vpnTunnel = new ComputeVpnTunnel(this, `Tunnel${n}`, {
          name: resourceName(env, `to-aws-${n}`),
          region: env.gcp.region,
          vpnGateway: this.gateway.id,
          vpnGatewayInterface: i < 2 ? 0 : 1,
          peerExternalGateway: peer.id,
          peerExternalGatewayInterface: i,
          sharedSecret: psk.stringValue,
          router: this.router.id,
          ikeVersion: 2,
        });
        const routerInterface = new ComputeRouterInterface(this, `Tunnel${n}Interface`, {
          name: resourceName(env, `to-aws-${n}`),
          region: env.gcp.region,
          router: this.router.name,
          ipRange: `${gcpInsideAddress(tunnel)}/30`,
          vpnTunnel: vpnTunnel.name,
        });
        new ComputeRouterPeer(this, `Tunnel${n}Peer`, {
          name: resourceName(env, `to-aws-${n}`),
          region: env.gcp.region,
          router: this.router.name,
          interface: routerInterface.name,
          peerIpAddress: awsInsideAddress(tunnel),
          peerAsn: CROSS_CLOUD_LINK.awsAsn,
        });
        tunnels.push(vpnTunnel);
      });
    }
    this.tunnels = tunnels;

    this.credentialsSecret = new SecretManagerSecret(this, 'ScramCredentials', {
      dependsOn: props.dependsOn,
      secretId: resourceName(env, 'msk-scram'),
      replication: { userManaged: { replicas: [{ location: env.gcp.region }] } },
      annotations: { 'shopfront/aws-secret': props.aws?.mskScramSecretName ?? mskScramSecretName(env) },
      labels: { environment: env.name, component: 'analytics' },
    });
  }

  /** Lets `member` read the SCRAM credentials (this secret only). */
  grantReadCredentials(id: string, member: string): SecretManagerSecretIamMember {
    return new SecretManagerSecretIamMember(this, id, {
      secretId: this.credentialsSecret.id,
      role: 'roles/secretmanager.secretAccessor',
      member,
    });
  }
}
