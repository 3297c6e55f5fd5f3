import { type Catalog, defineCatalog, PlatformQuery, platform, type ServiceSpec, shop } from '../../lib/platform';
import { type K8sConfigOverrides, resolveK8sConfig } from '../config';
import { buildEnvironment, type EnvironmentCharts, type KubernetesObject, objectsOf } from '../render';

export interface Synthesized {
  readonly charts: EnvironmentCharts;
  /** Objects of namespace shopfront (the Cluster stack's root Application). */
  readonly platform: KubernetesObject[];
  readonly observability: KubernetesObject[];
  readonly logging: KubernetesObject[];
  readonly tracing: KubernetesObject[];
  readonly gitops: KubernetesObject[];
  readonly all: KubernetesObject[];
}

export function synth(
  catalog: PlatformQuery = shop,
  environment = 'dev',
  overrides: K8sConfigOverrides = {},
): Synthesized {
  const config = resolveK8sConfig(catalog.environment(environment), overrides);
  const charts = buildEnvironment(catalog, config);
  const platformObjects = objectsOf(charts.platform);
  const observability = objectsOf(charts.observability);
  const logging = objectsOf(charts.logging);
  const tracing = objectsOf(charts.tracing);
  const gitops = objectsOf(charts.gitops);
  return {
    charts,
    platform: platformObjects,
    observability,
    logging,
    tracing,
    gitops,
    all: [...platformObjects, ...observability, ...logging, ...tracing, ...gitops],
  };
}

export function ofKind(objects: readonly KubernetesObject[], kind: string): KubernetesObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function named(objects: readonly KubernetesObject[], kind: string, name: string): KubernetesObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} named ${name}; have ${ofKind(objects, kind)
        .map((o) => o.metadata.name)
        .join(', ')}`,
    );
  return found;
}

/** Typed enough for assertions: the rendered JSON is plain data. */
// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped JSON
export type Json = any;

export const spec = (o: KubernetesObject): Json => (o as Json).spec;

export function podSpec(o: KubernetesObject): Json {
  return spec(o).template.spec;
}

/** The catalog with one service changed, validated like the real one. */
export function withService(name: string, change: (s: ServiceSpec) => ServiceSpec): PlatformQuery {
  const catalog: Catalog = {
    ...platform,
    services: platform.services.map((s) => (s.name === name ? change(s) : s)),
  };
  return new PlatformQuery(defineCatalog(catalog));
}
