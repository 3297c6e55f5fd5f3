import { Yaml } from 'cdk8s';
import {
  KUBERNETES_NAMESPACE,
  shop,
  TRACE_COLLECTOR,
  TRACE_STORE,
  traceIngressTargetGroupName,
} from '../../lib/platform';
import { collectorConfig, TAIL_SAMPLING, tempoConfig } from '../charts/tracing-chart';
import { resolveK8sConfig } from '../config';
import { type Json, named, ofKind, podSpec, spec, synth } from './helpers';

const dev = synth();
const devConfig = resolveK8sConfig(shop.environment('dev'), {});
const policies = (objects: readonly Json[]) => ofKind(objects, 'NetworkPolicy') as Json[];
const portsOf = (rule: Json): number[] => rule.ports.map((p: Json) => p.port).sort((a: number, b: number) => a - b);

describe('the trace collector and Tempo (tracing/)', () => {
  test('every service of the platform sends its spans to the collector Service, on a port it exposes', () => {
    const service = named(dev.tracing, 'Service', 'otel-collector') as Json;
    for (const s of shop.containers) {
      const data = (named(dev.platform, 'ConfigMap', `${s.name}-config`) as Json).data;
      const endpoint = new URL(data.OTEL_EXPORTER_OTLP_ENDPOINT);
      expect(endpoint.protocol).toBe('http:');
      expect(endpoint.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`);
      expect(service.spec.ports.map((p: Json) => p.port)).toContain(Number(endpoint.port));
      expect(data.DEPLOYMENT_ENVIRONMENT).toBe('dev');
    }
  });

  test('the collector runs the configuration the chart builds, and its Service reaches the pod', () => {
    const map = named(dev.tracing, 'ConfigMap', 'otel-collector-config') as Json;
    expect(map.data['config.yaml']).toBe(Yaml.stringify(collectorConfig(devConfig)));
    const deployment = named(dev.tracing, 'Deployment', 'otel-collector') as Json;
    const pod = podSpec(deployment);
    expect(pod.containers[0].args).toEqual(['--config=/conf/config.yaml']);
    expect(pod.volumes).toContainEqual({ name: 'config', configMap: { name: 'otel-collector-config' } });
    expect(spec(deployment).replicas).toBe(1);
    const service = named(dev.tracing, 'Service', 'otel-collector') as Json;
    expect(service.spec.selector).toEqual(spec(deployment).selector.matchLabels);
    const named_ = pod.containers[0].ports.map((p: Json) => p.name);
    for (const port of service.spec.ports) expect(named_).toContain(port.targetPort);
  });

  test('tail sampling keeps every error, every trace slower than the latency SLO and a share of the rest', () => {
    const sampling = collectorConfig(devConfig).processors as Json;
    expect(sampling.tail_sampling.policies).toEqual([
      { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: 'slow', type: 'latency', latency: { threshold_ms: 1000 } },
      { name: 'ratio', type: 'probabilistic', probabilistic: { sampling_percentage: TAIL_SAMPLING.keepPercent } },
    ]);
    const pipeline = (collectorConfig(devConfig).service as Json).pipelines.traces;
    expect(pipeline.processors).toEqual(['memory_limiter', 'tail_sampling', 'batch']);
    // The slow threshold follows the environment's objective.
    const slower = resolveK8sConfig(shop.environment('dev'), {
      dev: { slo: { p99LatencySeconds: 2.5, maxErrorRatio: 0.01, maxConsumerLag: 1000 } },
    });
    expect((collectorConfig(slower).processors as Json).tail_sampling.policies[1].latency).toEqual({
      threshold_ms: 2500,
    });
  });

  test('the collector exports to Tempo at the address and OTLP port Tempo listens on', () => {
    const exporter = (collectorConfig(devConfig).exporters as Json)['otlp/tempo'];
    const tempo = named(dev.tracing, 'Service', 'tempo') as Json;
    expect(exporter.endpoint).toBe(`tempo.${TRACE_STORE.namespace}.svc.cluster.local:${TRACE_STORE.otlpGrpcPort}`);
    expect(tempo.spec.ports.map((p: Json) => p.port)).toContain(TRACE_STORE.otlpGrpcPort);
    expect((tempoConfig().distributor as Json).receivers.otlp.protocols.grpc.endpoint).toBe(
      `0.0.0.0:${TRACE_STORE.otlpGrpcPort}`,
    );
    const tempoMap = named(dev.tracing, 'ConfigMap', 'tempo-config') as Json;
    expect(tempoMap.data['tempo.yaml']).toBe(Yaml.stringify(tempoConfig()));
  });

  test('Tempo keeps its blocks on an encrypted gp3 volume, as a non-root pod with a read-only root', () => {
    const tempo = named(dev.tracing, 'StatefulSet', 'tempo') as Json;
    expect(spec(tempo).serviceName).toBe('tempo');
    expect(spec(tempo).volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'gp3' });
    expect(podSpec(tempo).containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/tempo' });
    for (const o of [tempo, named(dev.tracing, 'Deployment', 'otel-collector') as Json]) {
      expect(podSpec(o).containers[0].securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
    }
    expect((named(dev.tracing, 'Namespace', 'tracing') as Json).metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  test("the collector is registered in the target group of the Cluster stack's internal load balancer, by name", () => {
    const binding = named(dev.tracing, 'TargetGroupBinding', 'otel-collector-otlp-http') as Json;
    expect(binding.apiVersion).toBe('elbv2.k8s.aws/v1beta1');
    expect(binding.metadata.namespace).toBe('tracing');
    expect(binding.spec).toEqual({
      serviceRef: { name: 'otel-collector', port: TRACE_COLLECTOR.otlpHttpPort },
      targetGroupName: traceIngressTargetGroupName(shop.environment('dev')),
      targetType: 'ip',
    });
    expect(binding.spec.targetGroupName).toBe('shopfront-dev-otlp');
    const service = named(dev.tracing, 'Service', 'otel-collector') as Json;
    expect(service.spec.ports.map((p: Json) => p.port)).toContain(binding.spec.serviceRef.port);
  });

  test('the tracing namespace denies by default and opens OTLP to the collector from the platform namespace only', () => {
    const all = policies(dev.tracing);
    expect(named(all, 'NetworkPolicy', 'default-deny-all')).toMatchObject({
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    const collectorIngress = all.filter(
      (p) =>
        p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'otel-collector' &&
        p.spec.policyTypes.includes('Ingress'),
    );
    expect(collectorIngress.map((p) => p.spec.ingress.length)).toEqual([1, 1]);
    const [fromPlatform, fromVpc] = collectorIngress.map((p) => p.spec.ingress[0]);
    expect(fromPlatform.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shopfront' } } },
    ]);
    expect(portsOf(fromPlatform)).toEqual([TRACE_COLLECTOR.otlpGrpcPort, TRACE_COLLECTOR.otlpHttpPort]);
    // The internal load balancer's addresses, on OTLP/HTTP and the health port only.
    expect(fromVpc.from).toEqual([{ ipBlock: { cidr: shop.environment('dev').network.cidr } }]);
    expect(portsOf(fromVpc)).toEqual([TRACE_COLLECTOR.otlpHttpPort, TRACE_COLLECTOR.healthPort]);
    // Every other ingress in the namespace: Tempo, from the collector (OTLP) and from monitoring (its HTTP API).
    const others = all.filter((p) => !collectorIngress.includes(p) && p.spec.ingress);
    expect(others.map((p) => [p.metadata.name, p.spec.ingress.flatMap(portsOf)])).toEqual([
      ['allow-tempo-otlp-from-otel-collector', [TRACE_STORE.otlpGrpcPort]],
      ['allow-tempo-to-itself', [7946, 9095]],
      ['allow-tempo-http-from-monitoring', [TRACE_STORE.httpPort]],
    ]);
  });

  test("the platform's pods may reach the collector on its OTLP ports and nothing else of the tracing namespace", () => {
    const egress = policies(dev.platform).filter((p) =>
      (p.spec.egress ?? []).some((r: Json) =>
        r.to?.some((t: Json) => t.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'tracing'),
      ),
    );
    expect(egress.map((p) => p.metadata.name)).toEqual(['allow-otlp-to-trace-collector']);
    expect(egress[0].metadata.namespace).toBe(KUBERNETES_NAMESPACE);
    expect(egress[0].spec.podSelector).toEqual({});
    expect(egress[0].spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tracing' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'otel-collector' } },
          },
        ],
        ports: [
          { protocol: 'TCP', port: TRACE_COLLECTOR.otlpGrpcPort },
          { protocol: 'TCP', port: TRACE_COLLECTOR.otlpHttpPort },
        ],
      },
    ]);
  });
});
