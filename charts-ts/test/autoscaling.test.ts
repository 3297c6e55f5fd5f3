import { shop } from '../../lib/platform';
import { named, spec, synth } from './helpers';

const dev = synth();

describe('HorizontalPodAutoscalers (autoscaling/v2)', () => {
  test.each(shop.containers.map((s) => [s.name, s] as const))('%s: the catalog scaling', (name, s) => {
    const hpa = named(dev.platform, 'HorizontalPodAutoscaler', name);
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(spec(hpa)).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: s.scaling?.minReplicas,
      maxReplicas: s.scaling?.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: s.scaling?.metric.resource,
            target: { type: 'Utilization', averageUtilization: s.scaling?.metric.targetUtilizationPercent },
          },
        },
      ],
    });
  });

  test("order-service: the seed's numbers exactly", () => {
    expect(spec(named(dev.platform, 'HorizontalPodAutoscaler', 'order-service'))).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'order-service' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
      behavior: {
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
      },
    });
  });

  test("payment-service: the seed's numbers exactly", () => {
    expect(spec(named(dev.platform, 'HorizontalPodAutoscaler', 'payment-service'))).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'payment-service' },
      minReplicas: 2,
      maxReplicas: 8,
      metrics: [
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
      ],
    });
  });
});
