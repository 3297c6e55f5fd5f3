import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { GITOPS_SYNC_RETRY } from '../../lib/platform';

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

/** An Argo CD Application with automated sync, prune and self-heal, and the platform's retry. */
export class Application extends ApiObject {
  constructor(scope: Construct, id: string, props: ApplicationProps) {
    if (props.sources.length === 0) throw new Error(`Application '${props.name}': 'sources' must not be empty`);
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
        // Always a list, even of one: the deployment's repository replaces `sources[0]` wherever it is.
        sources: [...props.sources],
        destination: { server: IN_CLUSTER, namespace: props.namespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['CreateNamespace=false', ...(props.syncOptions ?? [])],
          retry: GITOPS_SYNC_RETRY,
        },
      },
    });
  }
}

/**
 * Argo CD applies a sync wave after the previous one is healthy. Within the platform namespace: first what the pods
 * read or are confined by (ConfigMaps, ServiceAccounts, the secret store, NetworkPolicies), then the ExternalSecrets
 * (healthy once their Secret is filled from Secrets Manager), then the workloads and what routes to them, so no pod
 * starts before its Secret exists or without its NetworkPolicy, and the load balancer is created once the pods
 * answer. AppProjects come before the Applications that name them. Kinds not listed are in wave 0.
 */
export const SYNC_WAVES: Readonly<Record<string, number>> = {
  Namespace: -2,
  AppProject: -1,
  ConfigMap: -1,
  ServiceAccount: -1,
  SecretStore: -1,
  NetworkPolicy: -1,
  ExternalSecret: 0,
  Application: 0,
  Deployment: 1,
  Service: 1,
  // Not with the Deployments: an autoscaler reads no metrics until its pods run, and its health would hold the wave.
  HorizontalPodAutoscaler: 2,
  PodDisruptionBudget: 2,
  Ingress: 2,
};

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** Gives every object under `scope` the sync wave of its kind (`SYNC_WAVES`). */
export function annotateSyncWaves(scope: Construct): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject) {
      child.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(SYNC_WAVES[child.kind] ?? 0));
    }
  }
}
