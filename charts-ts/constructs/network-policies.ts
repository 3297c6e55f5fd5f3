import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  httpPort,
  MSK_IAM_TLS_PORT,
  ownsPostgres,
  type PlatformQuery,
  POSTGRES_PORT,
  TRACE_COLLECTOR,
  usesKafka,
} from '../../lib/platform';
import { PART_OF, POD_IDENTITY_AGENT, selectorLabels } from '../conventions';

export interface PlatformNetworkPoliciesProps {
  readonly catalog: PlatformQuery;
  readonly namespace: string;
  /** The environment's VPC CIDR: the load balancer's nodes, RDS and MSK are in it. */
  readonly vpcCidr: string;
  /** Namespace whose pods may scrape every pod's metrics port. */
  readonly monitoringNamespace: string;
  /**
   * The results database on Cloud SQL (its Private Service Access range, through the VPN) and the one service that
   * reads it. @default - none: no pod reaches Cloud SQL
   */
  readonly resultsDatabase?: { readonly reader: string; readonly cidr: string };
}

const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
const namespaceSelector = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });

/**
 * Default deny in both directions, then exactly what the catalog says may talk:
 * - each edge of `callGraph` as a pair: egress from the caller and ingress to the callee, on the callee's ports;
 * - DNS to kube-dns; ingress to public services from the VPC (the ALB targets pod IPs in IP mode);
 * - ingress to each pod's metrics port from the monitoring namespace;
 * - egress to PostgreSQL and Kafka by the VPC CIDR: RDS and MSK are outside the cluster, so no pod or namespace
 *   selector can name them, and their addresses change on fail-over; the CIDR plus the port is the narrowest
 *   stable rule (their security groups admit only the cluster's);
 * - egress to the node-local EKS Pod Identity agent for services that sign AWS requests (MSK IAM);
 * - egress from every pod to the trace collector, on its OTLP ports only.
 */
export class PlatformNetworkPolicies extends Construct {
  /** The caller -> callee policies, keyed `from->to`, in catalog order. */
  readonly edges = new Map<string, { egress: k8s.KubeNetworkPolicy; ingress: k8s.KubeNetworkPolicy }>();

  constructor(scope: Construct, id: string, props: PlatformNetworkPoliciesProps) {
    super(scope, id);
    const { catalog, namespace } = props;
    const labels = { 'app.kubernetes.io/part-of': PART_OF };
    const policy = (name: string, spec: k8s.NetworkPolicySpec) =>
      new k8s.KubeNetworkPolicy(this, name, { metadata: { name, namespace, labels }, spec });

    policy('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy('allow-dns-egress', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: namespaceSelector('kube-system'),
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
            { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
          ],
        },
      ],
    });

    policy('allow-otlp-to-trace-collector', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: namespaceSelector(TRACE_COLLECTOR.namespace),
              podSelector: { matchLabels: { 'app.kubernetes.io/name': TRACE_COLLECTOR.serviceAccount } },
            },
          ],
          ports: [tcp(TRACE_COLLECTOR.otlpGrpcPort), tcp(TRACE_COLLECTOR.otlpHttpPort)],
        },
      ],
    });

    for (const edge of catalog.callGraph) {
      const ports = edge.ports.map(tcp);
      const egress = policy(`allow-${edge.from}-to-${edge.to}`, {
        podSelector: { matchLabels: selectorLabels(edge.from) },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: selectorLabels(edge.to) } }], ports }],
      });
      const ingress = policy(`allow-${edge.to}-from-${edge.from}`, {
        podSelector: { matchLabels: selectorLabels(edge.to) },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: selectorLabels(edge.from) } }], ports }],
      });
      this.edges.set(`${edge.from}->${edge.to}`, { egress, ingress });
    }

    for (const service of catalog.containers) {
      const selector = { matchLabels: selectorLabels(service.name) };
      if (service.public) {
        policy(`allow-${service.name}-from-load-balancer`, {
          podSelector: selector,
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ ipBlock: { cidr: props.vpcCidr } }], ports: service.ports.map((p) => tcp(p.port)) }],
        });
      }
      policy(`allow-${service.name}-metrics-from-monitoring`, {
        podSelector: selector,
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: namespaceSelector(props.monitoringNamespace) }],
            ports: [tcp(httpPort(service).port)],
          },
        ],
      });
      const outside: k8s.NetworkPolicyEgressRule[] = [];
      if (ownsPostgres(service))
        outside.push({ to: [{ ipBlock: { cidr: props.vpcCidr } }], ports: [tcp(POSTGRES_PORT)] });
      if (usesKafka(service)) {
        outside.push({ to: [{ ipBlock: { cidr: props.vpcCidr } }], ports: [tcp(MSK_IAM_TLS_PORT)] });
        outside.push({ to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [tcp(POD_IDENTITY_AGENT.port)] });
      }
      if (props.resultsDatabase?.reader === service.name) {
        outside.push({ to: [{ ipBlock: { cidr: props.resultsDatabase.cidr } }], ports: [tcp(POSTGRES_PORT)] });
      }
      if (outside.length > 0) {
        policy(`allow-${service.name}-to-data-stores`, {
          podSelector: selector,
          policyTypes: ['Egress'],
          egress: outside,
        });
      }
    }
  }
}
