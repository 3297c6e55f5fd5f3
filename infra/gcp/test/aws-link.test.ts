import {
  CROSS_CLOUD_LINK,
  MSK_SCRAM_TLS_PORT,
  mskScramSecretName,
  shop,
  TOPIC_ANALYTICS_RESULTS,
  TOPIC_ORDERS,
} from '../../../lib/platform';
import { awsOutputs, configFor, linkedConfig, only, resourcesOf, synthesize, type TerraformJson } from './fixture';

// The GCP side of the link to MSK, per environment, against the catalog entries the AWS side builds its half from
// (infra/aws/test/gcp-link.test.ts asserts that half; test/cross-cloud-link.test.ts joins the two).
const metadataOf = (tf: TerraformJson) =>
  (
    (only(tf, 'google_dataproc_cluster').cluster_config as Record<string, Record<string, unknown>>)
      .gce_cluster_config as Record<string, unknown>
  ).metadata as Record<string, string>;

/** `a.b.c.d/30` plus `offset` on its last octet, with or without the prefix. */
const host = (cidr: string, offset: number, prefix = '') =>
  cidr.replace(/\.(\d+)\/30$/, (_m, n) => `.${Number(n) + offset}${prefix}`);

describe.each(['dev', 'prod'] as const)('the link to AWS in %s, from the catalog', (name) => {
  const env = shop.environment(name);
  const { tf } = synthesize(name, linkedConfig(name));

  it('runs BGP on the Cloud Router with the GCP ASN, advertising the Dataproc subnet and Cloud SQL only', () => {
    const [[, router]] = resourcesOf(tf, 'google_compute_router').filter(([, r]) => r.bgp !== undefined) as [
      [string, Record<string, unknown>],
    ];
    expect(router.bgp).toEqual({
      asn: CROSS_CLOUD_LINK.gcpAsn,
      advertise_mode: 'CUSTOM',
      advertised_ip_ranges: [
        { range: env.gcp.network.subnetCidr, description: expect.stringContaining('Dataproc') },
        { range: env.gcp.network.privateServiceCidr, description: expect.stringContaining('Cloud SQL') },
      ],
    });
  });

  it("outputs Cloud SQL's private address, which the AWS setting resultsDatabaseAddress takes", () => {
    const output = (tf as { output?: Record<string, { value: string }> }).output?.ResultsDatabaseAddress;
    expect(output?.value).toMatch(/google_sql_database_instance\.[\w-]+\.private_ip_address/);
  });

  it("exchanges custom routes on Cloud SQL's peering, so Cloud SQL answers AWS through the VPN", () => {
    const config = only(tf, 'google_compute_network_peering_routes_config');
    expect(config).toMatchObject({ export_custom_routes: true, import_custom_routes: true });
    // The peering Private Service Access created, on the analytics network: not a name typed here.
    expect(config.peering).toMatch(/google_service_networking_connection\.[\w-]+\.peering/);
    expect(config.network).toMatch(/google_compute_network\.[\w-]+\.name/);
    const [address, prefix] = env.gcp.network.privateServiceCidr.split('/');
    expect(only(tf, 'google_compute_global_address')).toMatchObject({ address, prefix_length: Number(prefix) });
  });

  it("peers with the AWS ASN on the second host of each of the catalog's inside ranges", () => {
    const inside = env.gcp.network.vpnInsideCidrs;
    const peers = resourcesOf(tf, 'google_compute_router_peer').map(([, p]) => [p.peer_ip_address, p.peer_asn]);
    expect(peers).toEqual(inside.map((cidr) => [host(cidr, 1), CROSS_CLOUD_LINK.awsAsn]));
    const interfaces = resourcesOf(tf, 'google_compute_router_interface').map(([, i]) => i.ip_range);
    expect(interfaces).toEqual(inside.map((cidr) => host(cidr, 2, '/30')));
  });

  it('gives the job the SCRAM brokers, the catalog topics and its consumer group', () => {
    const metadata = metadataOf(tf);
    const brokers = Object.values(awsOutputs(name)).find((o) => 'KafkaBootstrapBrokersSaslScram' in o);
    expect(metadata['analytics-kafka-brokers']).toBe(brokers?.KafkaBootstrapBrokersSaslScram);
    for (const broker of metadata['analytics-kafka-brokers']?.split(',') ?? []) {
      expect(broker.endsWith(`:${MSK_SCRAM_TLS_PORT}`)).toBe(true);
    }
    expect(metadata).toMatchObject({
      'analytics-orders-topic': TOPIC_ORDERS,
      'analytics-results-topic': TOPIC_ANALYTICS_RESULTS,
      'analytics-consumer-group': shop.consumerGroup('analytics', TOPIC_ORDERS),
    });
  });

  it('records the AWS secret the SCRAM credentials are copied from', () => {
    const annotated = resourcesOf(tf, 'google_secret_manager_secret').filter(([id]) => /ScramCredentials/.test(id));
    expect(annotated.map(([, s]) => s.annotations)).toEqual([{ 'shopfront/aws-secret': mskScramSecretName(env) }]);
  });
});

describe('the first phase, before the AWS side exists', () => {
  const { tf } = synthesize('dev', configFor('dev'));

  it('has the HA VPN gateway and its addresses as an output, and no tunnel', () => {
    expect(resourcesOf(tf, 'google_compute_ha_vpn_gateway')).toHaveLength(1);
    expect(Object.keys(tf.output ?? {}).some((o) => o.includes('GatewayAddresses'))).toBe(true);
    expect(resourcesOf(tf, 'google_compute_vpn_tunnel')).toHaveLength(0);
    expect(resourcesOf(tf, 'google_compute_external_vpn_gateway')).toHaveLength(0);
  });

  it('gives the job no brokers, so its start refuses and says why', () => {
    expect(metadataOf(tf)['analytics-kafka-brokers']).toBe('');
  });
});
