import { DEPLOY_VALUES, shop, usesKafka } from '../../lib/platform';
import { KUSTOMIZATION, PLACEHOLDER_PATTERNS, renderAll } from '../render';
import { type Json, named, podSpec, synth } from './helpers';

const rendered = renderAll();

describe('values only a deployment knows', () => {
  test.each(shop.environmentNames.map((e) => [e] as const))(
    '%s: no rendered file holds a placeholder account, certificate, broker or repository',
    (env) => {
      const files = [...rendered].filter(([file]) => file.startsWith(`${env}/`));
      expect(files.length).toBeGreaterThan(10);
      for (const [file, text] of files) {
        for (const pattern of PLACEHOLDER_PATTERNS) expect({ file, match: pattern.exec(text)?.[0] }).toEqual({ file });
      }
    },
  );

  test('a placeholder that reaches a manifest stops the render, naming the file and the value', () => {
    const overrides = { staging: { serviceSettings: { 'order-service': { UPSTREAM_HOST: 'orders.invalid' } } } };
    expect(() => renderAll(shop, overrides)).toThrow(/staging\/configmap\.yaml: "\.invalid"/);
  });

  test('the deploy-values ConfigMap is rendered empty; Kafka clients require its broker list', () => {
    const dev = synth();
    const values = named(dev.platform, 'ConfigMap', DEPLOY_VALUES.configMap) as Json;
    expect(values.data).toBeUndefined();
    for (const service of shop.containers) {
      const env = podSpec(named(dev.platform, 'Deployment', service.name)).containers[0].env as Json[];
      const brokers = env.find((e) => e.name === DEPLOY_VALUES.kafkaBrokersKey);
      if (usesKafka(service)) {
        expect(brokers.valueFrom).toEqual({
          configMapKeyRef: { name: DEPLOY_VALUES.configMap, key: DEPLOY_VALUES.kafkaBrokersKey, optional: false },
        });
      } else expect(brokers).toBeUndefined();
    }
    expect(shop.containers.some(usesKafka)).toBe(true);
  });

  test.each(['', 'apps/'])('%skustomization.yaml lists exactly the manifests of its folder', (folder) => {
    for (const env of shop.environmentNames) {
      const prefix = `${env}/${folder}`;
      const text = rendered.get(`${prefix}${KUSTOMIZATION}`) ?? '';
      const listed = [...text.matchAll(/^ {2}- (\S+)$/gm)].map((m) => m[1]);
      const manifests = [...rendered.keys()]
        .filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes('/'))
        .map((f) => f.slice(prefix.length))
        .filter((f) => f !== KUSTOMIZATION);
      expect(text).toContain('kind: Kustomization');
      expect(listed).toEqual(manifests.sort());
      expect(listed).toContain(folder ? 'application.yaml' : 'deployment.yaml');
    }
  });
});
