import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

const API_VERSION = 'argoproj.io/v1alpha1';
export const ARGOCD_NAMESPACE = 'argocd';
export const IN_CLUSTER = 'https://kubernetes.default.svc';

export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

export interface AppProjectProps {
  readonly name: string;
  readonly description: string;
  readonly sourceRepos: readonly string[];
  /** Namespaces of the in-cluster destination. */
  readonly namespaces: readonly string[];
  /** @default - none */
  readonly clusterResources?: readonly GroupKind[];
  /** @default - every namespaced kind */
  readonly namespaceResources?: readonly GroupKind[];
}

/** An Argo CD project: the repositories, destinations and kinds its Applications may use, nothing else. */
export class AppProject extends ApiObject {
  constructor(scope: Construct, id: string, props: AppProjectProps) {
    super(scope, id, {
      apiVersion: API_VERSION,
      kind: 'AppProject',
      metadata: { name: props.name, namespace: ARGOCD_NAMESPACE },
      spec: {
        description: props.description,
        sourceRepos: [...props.sourceRepos],
        destinations: props.namespaces.map((namespace) => ({ server: IN_CLUSTER, namespace })),
        clusterResourceWhitelist: [...(props.clusterResources ?? [])],
        ...(props.namespaceResources ? { namespaceResourceWhitelist: [...props.namespaceResources] } : {}),
      },
    });
  }
}

/** A source of an Application: a folder of this repository, or a pinned Helm chart with values. */
export type ApplicationSource =
  | { readonly repoURL: string; readonly targetRevision: string; readonly path: string }
  | {
      readonly repoURL: string;
      readonly chart: string;
      readonly targetRevision: string;
      readonly helm: { readonly releaseName: string; readonly valuesObject: Record<string, unknown> };
    };

export interface ApplicationProps {
  readonly name: string;
  readonly project: string;
  readonly namespace: string;
  readonly sources: readonly ApplicationSource[];
  /** Extra sync options, e.g. `ServerSideApply=true`. */
  readonly syncOptions?: readonly string[];
}

/** An Argo CD Application with automated sync, prune and self-heal, and a bounded retry. */
export class Application extends ApiObject {
  constructor(scope: Construct, id: string, props: ApplicationProps) {
    if (props.sources.length === 0) throw new Error(`Application '${props.name}': 'sources' must not be empty`);
    const [first, ...rest] = props.sources;
    super(scope, id, {
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: {
        name: props.name,
        namespace: ARGOCD_NAMESPACE,
        // Deleting the Application deletes what it deployed.
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: props.project,
        ...(rest.length === 0 ? { source: first } : { sources: [...props.sources] }),
        destination: { server: IN_CLUSTER, namespace: props.namespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['CreateNamespace=false', ...(props.syncOptions ?? [])],
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
        },
      },
    });
  }
}
