import { httpPort, KUBERNETES_NAMESPACE, MSK_IAM_TLS_PORT, POSTGRES_PORT, shop } from '../../lib/platform';
import { type Json, named, ofKind, spec, synth, withService } from './helpers';

const port = (p: number) => ({ protocol: 'TCP', port: p });
const app = (name: string) => ({ podSelector: { matchLabels: { 'app.kubernetes.io/name': name } } });

/** Caller -> callee edges as the rendered policies state them, from both ends. */
function renderedEdges(policies: Json[]): { egress: string[]; ingress: string[] } {
  const egress: string[] = [];
  const ingress: string[] = [];
  for (const p of policies) {
    const self = p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'];
    for (const rule of p.spec.egress ?? []) {
      for (const peer of rule.to ?? []) {
        const to = peer.podSelector?.matchLabels?.['app.kubernetes.io/name'];
        if (to && !peer.namespaceSelector)
          egress.push(`${self}->${to}:${rule.ports.map((x: Json) => x.port).join(',')}`);
      }
    }
    for (const rule of p.spec.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        const from = peer.podSelector?.matchLabels?.['app.kubernetes.io/name'];
        if (from && !peer.namespaceSelector)
          ingress.push(`${from}->${self}:${rule.ports.map((x: Json) => x.port).join(',')}`);
      }
    }
  }
  return { egress: egress.sort(), ingress: ingress.sort() };
}

const expectedEdges = (catalog = shop) =>
  catalog.callGraph.map((e) => `${e.from}->${e.to}:${e.ports.join(',')}`).sort();

describe('NetworkPolicies', () => {
  const dev = synth();
  const policies = ofKind(dev.platform, 'NetworkPolicy');

  test('deny everything by default, in both directions', () => {
    expect(spec(named(policies, 'NetworkPolicy', 'default-deny-all'))).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
  });

  test('pod-to-pod edges are exactly the catalog call graph, from both ends, on the callee ports', () => {
    const edges = renderedEdges(policies);
    expect(edges.egress).toEqual(expectedEdges());
    expect(edges.ingress).toEqual(expectedEdges());
  });

  test('a new edge in the catalog produces its policies', () => {
    const catalog = withService('user-service', (s) => ({ ...s, calls: [...s.calls, 'payment-service'] }));
    const modified = ofKind(synth(catalog).platform, 'NetworkPolicy');
    expect(renderedEdges(modified).egress).toEqual(expectedEdges(catalog));
    expect(renderedEdges(modified).egress).toContain('user-service->payment-service:50054,9154');
    expect(spec(named(modified, 'NetworkPolicy', 'allow-user-service-to-payment-service'))).toEqual({
      podSelector: app('user-service').podSelector,
      policyTypes: ['Egress'],
      egress: [{ to: [app('payment-service')], ports: [port(50054), port(9154)] }],
    });
    expect(modified.length).toBe(policies.length + 2);
    // The new peer also becomes a variable of the caller.
    const config = named(synth(catalog).platform, 'ConfigMap', 'user-service-config') as Json;
    expect(config.data.PAYMENT_SERVICE_ADDR).toBe(`payment-service.${KUBERNETES_NAMESPACE}.svc.cluster.local:50054`);
  });

  test('the storefront reaches the gateway and nothing else; the gateway admits it on its http port', () => {
    const edges = renderedEdges(policies);
    expect(edges.egress.filter((e) => e.startsWith('storefront->'))).toEqual(['storefront->api-gateway:8080']);
    expect(edges.ingress.filter((e) => e.startsWith('storefront->'))).toEqual(['storefront->api-gateway:8080']);
    expect(policies.find((p) => p.metadata.name === 'allow-storefront-to-data-stores')).toBeUndefined();
    expect(spec(named(policies, 'NetworkPolicy', 'allow-storefront-from-load-balancer')).ingress).toEqual([
      { from: [{ ipBlock: { cidr: shop.environment('dev').network.cidr } }], ports: [port(8090)] },
    ]);
  });

  test('DNS egress to kube-dns only', () => {
    expect(spec(named(policies, 'NetworkPolicy', 'allow-dns-egress')).egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ]);
  });

  test('public services accept the load balancer from the VPC CIDR of the environment', () => {
    for (const env of ['dev', 'prod']) {
      const rendered = ofKind(synth(shop, env).platform, 'NetworkPolicy');
      const gateway = shop.service('api-gateway');
      expect(spec(named(rendered, 'NetworkPolicy', 'allow-api-gateway-from-load-balancer')).ingress).toEqual([
        {
          from: [{ ipBlock: { cidr: shop.environment(env).network.cidr } }],
          ports: gateway.ports.map((p) => port(p.port)),
        },
      ]);
    }
    expect(policies.filter((p) => p.metadata.name.endsWith('-from-load-balancer'))).toHaveLength(
      shop.containers.filter((s) => s.public).length,
    );
  });

  test('every pod accepts scrapes of its metrics port from the monitoring namespace only', () => {
    for (const s of shop.containers) {
      expect(spec(named(policies, 'NetworkPolicy', `allow-${s.name}-metrics-from-monitoring`))).toEqual({
        podSelector: app(s.name).podSelector,
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
            ports: [port(httpPort(s).port)],
          },
        ],
      });
    }
  });

  test('database and Kafka egress by the VPC CIDR, only for owners and producers', () => {
    const cidr = shop.environment('dev').network.cidr;
    for (const s of shop.containers) {
      const name = `allow-${s.name}-to-data-stores`;
      const found = policies.find((p) => p.metadata.name === name);
      const ports = found
        ? spec(found)
            .egress.filter((r: Json) => r.to[0].ipBlock.cidr === cidr)
            .map((r: Json) => r.ports[0].port)
        : [];
      const expected = [
        ...(s.owns.some((d) => d.kind === 'postgres') ? [POSTGRES_PORT] : []),
        ...(s.produces.length + s.consumes.length > 0 ? [MSK_IAM_TLS_PORT] : []),
      ];
      expect(ports).toEqual(expected);
    }
  });
});
