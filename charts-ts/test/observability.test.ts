import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Yaml } from 'cdk8s';
import { PERSISTENT_STORAGE_CLASS, shop } from '../../lib/platform';
import { observeLatency, ServiceMetrics } from '../../lib/runtime/metrics';
import { grafanaValues, prometheusFiles, prometheusValues } from '../charts/observability-chart';
import { resolveK8sConfig } from '../config';
import { dashboards, EXEMPLAR_TRACE_ID_LABEL } from '../observability/dashboards';
import { alertingRules, prometheusConfig, SEED_POD_RELABELLING } from '../observability/prometheus';
import { type Json, named, ofKind, synth } from './helpers';

const config = resolveK8sConfig(shop.environment('dev'), {});
const dev = synth();

describe('Prometheus', () => {
  test("the pod job keeps the seed's relabelling, in the seed's order", () => {
    const job = (prometheusConfig(config).scrape_configs as Json[]).find((j) => j.job_name === 'kubernetes-pods');
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
    expect(job.relabel_configs.slice(0, 3)).toEqual(SEED_POD_RELABELLING);
    expect(SEED_POD_RELABELLING[2]).toEqual({
      source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
      action: 'replace',
      regex: '([^:]+)(?::\\d+)?;(\\d+)',
      replacement: '$1:$2',
      target_label: '__address__',
    });
  });

  test('alerts cover p99 latency, error ratio, consumer lag and autoscalers at their maximum', () => {
    const rules = (alertingRules(shop, config).groups as Json[])[0].rules as Json[];
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r.expr]));
    expect(byName.ShopfrontHttpLatencyP99High).toBe('service:http_request_duration_seconds:p99_5m > 1');
    expect(byName.ShopfrontGrpcErrorRatioHigh).toBe('service:grpc_server_errors:ratio_rate5m > 0.01');
    expect(byName.ShopfrontAutoscalerAtMaximum).toBe(
      'kube_horizontalpodautoscaler_status_current_replicas{namespace="shopfront"} >= kube_horizontalpodautoscaler_spec_max_replicas{namespace="shopfront"}',
    );
    // One consumer group per consuming service and topic, from the catalog.
    expect(byName.ShopfrontKafkaConsumerLagHigh).toContain('notification-lambda\\\\.orders|analytics\\\\.orders');
  });

  test('the Helm values carry the same configuration as the files promtool checks', () => {
    const files = prometheusFiles(shop, config);
    const values = prometheusValues(shop, config) as Json;
    for (const [name, text] of Object.entries(files))
      expect(Yaml.load(writeTemp(text))[0]).toEqual(values.serverFiles[name]);
  });
});

describe('Prometheus storage', () => {
  test('samples and Alertmanager state live on encrypted gp3 volumes; the server is replaced, not rolled', () => {
    const values = prometheusValues(shop, config) as Json;
    expect(values.server.persistentVolume).toMatchObject({
      enabled: true,
      storageClass: PERSISTENT_STORAGE_CLASS,
      size: '50Gi',
      accessModes: ['ReadWriteOnce'],
    });
    expect(values.server.strategy).toEqual({ type: 'Recreate' });
    expect(values.alertmanager.persistence).toMatchObject({ enabled: true, storageClass: PERSISTENT_STORAGE_CLASS });
    expect(PERSISTENT_STORAGE_CLASS).toBe('gp3');
  });
});

describe('Grafana dashboards', () => {
  test('one ConfigMap per dashboard with the sidecar label: RED per service, the order pipeline, analytics', () => {
    const maps = ofKind(dev.observability, 'ConfigMap') as Json[];
    expect(maps.map((m) => m.metadata.name).sort()).toEqual(
      [
        ...shop.containers.map((s) => `dashboard-red-${s.name}`),
        'dashboard-order-pipeline',
        'dashboard-analytics',
      ].sort(),
    );
    for (const m of maps) {
      expect(m.metadata.labels.grafana_dashboard).toBe('1');
      expect(m.metadata.namespace).toBe('monitoring');
      const [json] = Object.values(m.data) as string[];
      expect(JSON.parse(json as string).panels.length).toBeGreaterThan(0);
    }
  });

  test('the order pipeline shows every service on the path of an order', () => {
    const map = named(dev.observability, 'ConfigMap', 'dashboard-order-pipeline') as Json;
    const model = JSON.parse(Object.values(map.data)[0] as string);
    const titles = model.panels.map((p: Json) => p.title).join('\n');
    for (const s of ['api-gateway', 'order-service', 'product-service', 'payment-service']) expect(titles).toContain(s);
    expect(titles).toContain('Consumer lag on orders');
  });
});

function writeTemp(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'prom-')), 'file.yml');
  writeFileSync(file, text);
  return file;
}

describe('exemplars link latency to traces', () => {
  const datasources = (grafanaValues(config) as Json).datasources['datasources.yaml'].datasources as Json[];

  test("the Prometheus data source sends an exemplar's trace id to the Tempo data source", () => {
    const prometheus = datasources.find((d) => d.type === 'prometheus');
    const tempo = datasources.find((d) => d.type === 'tempo');
    expect(prometheus.jsonData.exemplarTraceIdDestinations).toEqual([{ name: 'trace_id', datasourceUid: tempo.uid }]);
    // Tempo is queried where the tracing Application runs it, on the port its Service exposes.
    const service = named(dev.tracing, 'Service', 'tempo') as Json;
    const url = new URL(tempo.url);
    expect(url.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`);
    expect(service.spec.ports.map((p: Json) => p.port)).toContain(Number(url.port));
  });

  test('the exemplar label the link reads is the one the service kit writes', async () => {
    const metrics = new ServiceMetrics('order-service', { defaults: false });
    observeLatency(metrics.httpDuration, { method: 'GET', route: '/x', status_code: '200' }, 0.2, {
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain(`# {${EXEMPLAR_TRACE_ID_LABEL}="4bf92f3577b34da6a3ce929d0e0e4736"`);
  });

  test('every latency panel asks for exemplars on its histogram query, and Prometheus stores them', () => {
    const panels = dashboards(shop).flatMap((d) => (d.model.panels as Json[]).filter((p) => /latency/.test(p.title)));
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      const withExemplars = (panel.targets as Json[]).filter((t) => t.exemplar === true);
      expect(withExemplars.map((t) => t.expr)).toEqual([expect.stringMatching(/_bucket\{/)]);
    }
    expect((prometheusValues(shop, config) as Json).server.extraFlags).toContain('enable-feature=exemplar-storage');
  });
});
