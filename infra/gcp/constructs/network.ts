import { ComputeFirewall } from '@cdktf/provider-google/lib/compute-firewall';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeNetworkPeeringRoutesConfig } from '@cdktf/provider-google/lib/compute-network-peering-routes-config';
import { ComputeRouter } from '@cdktf/provider-google/lib/compute-router';
import { ComputeRouterNat } from '@cdktf/provider-google/lib/compute-router-nat';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { ServiceNetworkingConnection } from '@cdktf/provider-google/lib/service-networking-connection';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { type EnvironmentSpec, resourceName } from '../../../lib/platform';

/** The network tag of the Dataproc cluster's VMs; firewall rules target it. */
export const DATAPROC_TAG = 'shopfront-dataproc';

export interface AnalyticsNetworkProps {
  readonly environment: EnvironmentSpec;
  /** Resources (API enablement) the network waits for. @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The analytics VPC: one regional subnet with Private Google Access (GCS, Secret Manager, logging without
 * public addresses) and flow logs; firewall rules that let the cluster's VMs talk to each other and nothing else
 * in; Cloud NAT for outbound connections only (the job's connector jars from Maven Central); and Private Service
 * Access, the peering through which Cloud SQL gets a private address in the catalog's reserved range and, by
 * exchanging custom routes, a way back to the AWS VPC over the VPN.
 */
export class AnalyticsNetwork extends Construct {
  readonly network: ComputeNetwork;
  readonly subnet: ComputeSubnetwork;
  /** Cloud SQL instances must be created after it. */
  readonly privateServiceAccess: ServiceNetworkingConnection;
  /**
   * The Private Service Access peering exchanges custom routes: Cloud SQL's side learns the AWS VPC range the Cloud
   * Router learned over BGP (export), so its answers go back through the VPN.
   */
  readonly privateServiceRoutes: ComputeNetworkPeeringRoutesConfig;
  readonly router: ComputeRouter;

  constructor(scope: Construct, id: string, props: AnalyticsNetworkProps) {
    super(scope, id);
    const { environment: env, dependsOn } = props;
    const { subnetCidr, privateServiceCidr } = env.gcp.network;

    this.network = new ComputeNetwork(this, 'Network', {
      name: resourceName(env, 'analytics'),
      description: `Shopfront ${env.name} analytics: Dataproc (Flink) and Cloud SQL`,
      autoCreateSubnetworks: false,
      routingMode: 'REGIONAL',
      dependsOn,
    });

    this.subnet = new ComputeSubnetwork(this, 'DataprocSubnet', {
      name: resourceName(env, 'dataproc'),
      region: env.gcp.region,
      network: this.network.id,
      ipCidrRange: subnetCidr,
      privateIpGoogleAccess: true,
      logConfig: { aggregationInterval: 'INTERVAL_5_SEC', flowSampling: 0.5, metadata: 'INCLUDE_ALL_METADATA' },
    });

    // Dataproc's nodes talk to each other on many ports (YARN, HDFS, Flink's RPC and data exchange).
    new ComputeFirewall(this, 'AllowDataprocInternal', {
      name: resourceName(env, 'dataproc-internal'),
      network: this.network.id,
      description: 'Dataproc nodes to each other (YARN, HDFS, Flink)',
      direction: 'INGRESS',
      priority: 1000,
      sourceTags: [DATAPROC_TAG],
      targetTags: [DATAPROC_TAG],
      allow: [{ protocol: 'tcp' }, { protocol: 'udp' }, { protocol: 'icmp' }],
      logConfig: { metadata: 'INCLUDE_ALL_METADATA' },
    });
    // Explicit, logged, lowest-priority deny: everything else from anywhere is refused.
    new ComputeFirewall(this, 'DenyIngress', {
      name: resourceName(env, 'deny-ingress'),
      network: this.network.id,
      description: 'Nothing else reaches the analytics network',
      direction: 'INGRESS',
      priority: 65534,
      sourceRanges: ['0.0.0.0/0'],
      deny: [{ protocol: 'all' }],
      logConfig: { metadata: 'INCLUDE_ALL_METADATA' },
    });

    this.router = new ComputeRouter(this, 'Router', {
      name: resourceName(env, 'analytics-nat'),
      region: env.gcp.region,
      network: this.network.id,
    });
    new ComputeRouterNat(this, 'Nat', {
      name: resourceName(env, 'analytics-nat'),
      region: env.gcp.region,
      router: this.router.name,
      natIpAllocateOption: 'AUTO_ONLY',
      sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS',
      subnetwork: [{ name: this.subnet.id, sourceIpRangesToNat: ['ALL_IP_RANGES'] }],
      logConfig: { enable: true, filter: 'ERRORS_ONLY' },
    });

    const [address, prefix] = privateServiceCidr.split('/');
    const range = new ComputeGlobalAddress(this, 'PrivateServiceRange', {
      name: resourceName(env, 'private-services'),
      description: 'Private Service Access: Cloud SQL private addresses',
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      address,
      prefixLength: Number(prefix),
      network: this.network.id,
    });
    this.privateServiceAccess = new ServiceNetworkingConnection(this, 'PrivateServiceAccess', {
      network: this.network.id,
      service: 'servicenetworking.googleapis.com',
      reservedPeeringRanges: [range.name],
    });
    this.privateServiceRoutes = new ComputeNetworkPeeringRoutesConfig(this, 'PrivateServiceAccessRoutes', {
      network: this.network.name,
      peering: this.privateServiceAccess.peering,
      exportCustomRoutes: true,
      importCustomRoutes: true,
    });
  }
}
