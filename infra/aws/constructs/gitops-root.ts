import { type aws_eks_v2 as eks, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  ADDONS_FOLDER,
  DEPLOY_VALUES,
  type EnvironmentSpec,
  GITOPS_SYNC_RETRY,
  gitopsPath,
  imageRepositoryName,
  type PlatformQuery,
} from '../../../lib/platform';

const API_VERSION = 'argoproj.io/v1alpha1';
const IN_CLUSTER = 'https://kubernetes.default.svc';

/** The API's public name and the certificate its load balancer presents. */
export interface PublicEndpointValues {
  readonly hostname: string;
  readonly certificateArn: string;
}

/** What only a deployment knows, passed to the rendered manifests (lib/platform `DEPLOY_VALUES`). */
export interface DeployValues {
  /** `<account>.dkr.ecr.<region>.amazonaws.com`, where the Data stack's repositories are. */
  readonly registry: string;
  /** Tag of every service image. */
  readonly imageTag: string;
  /** MSK bootstrap brokers of the IAM listener. */
  readonly kafkaBootstrapBrokers: string;
  /** @default - none: the Ingress keeps no host and no certificate, so its HTTPS listener cannot come up */
  readonly publicEndpoint?: PublicEndpointValues;
}

export interface GitOpsRootProps {
  readonly cluster: eks.ICluster;
  readonly environment: EnvironmentSpec;
  readonly catalog: PlatformQuery;
  /** Repository Argo CD syncs `deploy/k8s/<env>/` from. */
  readonly gitRepoUrl: string;
  /** Branch, tag or commit Argo CD tracks. */
  readonly gitRevision: string;
  readonly values: DeployValues;
  /** Namespace Argo CD runs in; its chart creates it. */
  readonly argocdNamespace: string;
  /** Namespace of the platform's services (the root project's only destination). */
  readonly platformNamespace: string;
}

type Json = Record<string, unknown>;

/** A Kustomize patch as Argo CD passes it: a JSON 6902 patch of the objects `target` selects. */
export interface KustomizePatch {
  readonly target: {
    readonly group?: string;
    readonly version?: string;
    readonly kind: string;
    readonly name?: string;
  };
  readonly patch: string;
}

/**
 * The Argo CD objects that make the cluster sync itself: two AppProjects and two root Applications.
 * - `shopfront-<env>` syncs `deploy/k8s/<env>/` into the platform namespace, passing the deploy values to Kustomize:
 *   each service image is pointed at the environment's registry and tag, the deploy-values ConfigMap gets the
 *   brokers, each public Ingress its host rule and certificate.
 * - `shopfront-<env>-addons` (project `shopfront-<env>-bootstrap`: Applications and AppProjects in Argo CD's
 *   namespace only) syncs `deploy/k8s/<env>/apps/`, replacing the repository placeholder of its Applications and
 *   AppProjects with this repository and revision; a `test` operation makes the sync fail loudly if a file no longer
 *   names the placeholder where expected.
 */
export class GitOpsRoot extends Construct {
  /** The root Application of the platform namespace. */
  readonly platformApplication: Json;
  /** The root Application of the add-ons (`apps/`). */
  readonly addonsApplication: Json;
  readonly manifest: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: GitOpsRootProps) {
    super(scope, id);
    const { environment, values } = props;
    const name = `shopfront-${environment.name}`;
    const bootstrap = `${name}-bootstrap`;
    const json = (value: unknown): string => Stack.of(this).toJsonString(value);
    const repository = { repoURL: props.gitRepoUrl, targetRevision: props.gitRevision };

    const images = props.catalog.containers.map((service) => {
      const repo = imageRepositoryName(service.name);
      return `${repo}=${values.registry}/${repo}:${values.imageTag}`;
    });
    const patches: KustomizePatch[] = [
      {
        target: { version: 'v1', kind: 'ConfigMap', name: DEPLOY_VALUES.configMap },
        patch: json([
          { op: 'add', path: '/data', value: { [DEPLOY_VALUES.kafkaBrokersKey]: values.kafkaBootstrapBrokers } },
        ]),
      },
    ];
    const endpoint = values.publicEndpoint;
    if (endpoint) {
      for (const service of props.catalog.containers.filter((s) => s.public)) {
        patches.push({
          target: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', name: service.name },
          patch: json([
            {
              op: 'add',
              path: '/metadata/annotations/alb.ingress.kubernetes.io~1certificate-arn',
              value: endpoint.certificateArn,
            },
            { op: 'add', path: '/spec/rules/0/host', value: endpoint.hostname },
          ]),
        });
      }
    }

    const syncPolicy = {
      automated: { prune: true, selfHeal: true },
      syncOptions: ['CreateNamespace=false', 'ServerSideApply=true'],
      retry: GITOPS_SYNC_RETRY,
    };
    const project = (projectName: string, description: string, namespace: string, spec: Json): Json => ({
      apiVersion: API_VERSION,
      kind: 'AppProject',
      metadata: { name: projectName, namespace: props.argocdNamespace },
      spec: {
        description,
        sourceRepos: [props.gitRepoUrl],
        destinations: [{ server: IN_CLUSTER, namespace }],
        ...spec,
      },
    });
    const application = (appName: string, projectName: string, namespace: string, source: Json): Json => ({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: {
        name: appName,
        namespace: props.argocdNamespace,
        // Deleting the Application deletes what it deployed.
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        project: projectName,
        source,
        destination: { server: IN_CLUSTER, namespace },
        syncPolicy,
      },
    });

    this.platformApplication = application(name, name, props.platformNamespace, {
      ...repository,
      path: gitopsPath(environment.name),
      kustomize: { images, patches },
    });
    const marker = DEPLOY_VALUES.repository;
    this.addonsApplication = application(`${name}-addons`, bootstrap, props.argocdNamespace, {
      ...repository,
      path: gitopsPath(environment.name, ADDONS_FOLDER),
      kustomize: {
        patches: [
          {
            target: { group: 'argoproj.io', kind: 'Application' },
            patch: json([
              { op: 'test', path: '/spec/sources/0/repoURL', value: marker },
              { op: 'replace', path: '/spec/sources/0/repoURL', value: props.gitRepoUrl },
              { op: 'replace', path: '/spec/sources/0/targetRevision', value: props.gitRevision },
            ]),
          },
          {
            target: { group: 'argoproj.io', kind: 'AppProject' },
            patch: json([
              { op: 'test', path: '/spec/sourceRepos/0', value: marker },
              { op: 'replace', path: '/spec/sourceRepos/0', value: props.gitRepoUrl },
            ]),
          },
        ] satisfies KustomizePatch[],
      },
    });

    // The id the cluster has always given these objects: a new one would replace the resource, and deleting the old
    // one deletes the root Applications, and with their finalizers everything they deployed.
    this.manifest = props.cluster.addManifest(
      'GitOpsRoot',
      project(
        name,
        `Shopfront ${environment.name}: only this repository, only the platform namespace`,
        props.platformNamespace,
        { clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }] },
      ),
      project(
        bootstrap,
        `Shopfront ${environment.name}: the add-ons' Applications and AppProjects, in ${props.argocdNamespace} only`,
        props.argocdNamespace,
        {
          clusterResourceWhitelist: [],
          namespaceResourceWhitelist: [
            { group: 'argoproj.io', kind: 'Application' },
            { group: 'argoproj.io', kind: 'AppProject' },
          ],
        },
      ),
      this.platformApplication,
      this.addonsApplication,
    );
  }
}
