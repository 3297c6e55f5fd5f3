import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import {
  DEPLOY_VALUES,
  KUBERNETES_NAMESPACE,
  ownsPostgres,
  type PlatformQuery,
  RESULTS_DATABASE,
  RESULTS_DATABASE_SERVER_CA,
  RESULTS_DATABASE_URL_TEMPLATE,
  resourceName,
  resultsReaderSecretName,
  type ServiceSpec,
} from '../../lib/platform';
import type { ResolvedK8sConfig } from '../config';
import { annotateSyncWaves } from '../constructs/argocd';
import { AwsSecretStore, ExternalSecret } from '../constructs/external-secrets';
import { PlatformNetworkPolicies } from '../constructs/network-policies';
import { ServiceWorkload } from '../constructs/service-workload';
import {
  ANALYTICS_DATABASE_URL_KEY,
  DATABASE_URL_KEY,
  databaseSecretName,
  PART_OF,
  podSecurityLabels,
  RESULTS_DATABASE_SECRET,
  SECRET_VARIABLES,
} from '../conventions';

export interface PlatformChartProps {
  readonly catalog: PlatformQuery;
  readonly config: ResolvedK8sConfig;
}

export const SECRET_STORE_NAME = 'aws-secrets-manager';
/** The ALB ingress group of the public services: one load balancer, one origin for the shop and its API. */
export const INGRESS_GROUP = 'shopfront';

const ingressPath = (service: ServiceSpec): string => service.ingressPath ?? '/';

/**
 * `sslmode=verify-full`: the RDS CA bundle is in the image (deploy/docker/Dockerfile, NODE_EXTRA_CA_CERTS).
 * The password is URL-escaped: a rotation may generate characters that are reserved in a URL.
 */
export const DATABASE_URL_TEMPLATE =
  'postgres://{{ .username }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/{{ .dbname }}?sslmode=verify-full';

/** The results database on Cloud SQL, through the VPN, with the server verified (lib/platform). */
export { RESULTS_DATABASE_URL_TEMPLATE };

/**
 * Everything of namespace `shopfront`, synced by the Cluster stack's root Application: the namespace itself
 * (Pod Security `restricted`), the secret store and ExternalSecrets, each container service of the catalog,
 * the NetworkPolicies of the call graph and the public Ingress, plus the ConfigMap of deploy values the Cluster stack
 * fills (lib/platform `DEPLOY_VALUES`).
 */
export class PlatformChart extends Chart {
  readonly workloads = new Map<string, ServiceWorkload>();
  readonly networkPolicies: PlatformNetworkPolicies;

  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { catalog, config } = props;
    const env = config.environment;
    const namespace = KUBERNETES_NAMESPACE;
    const labels = { 'app.kubernetes.io/part-of': PART_OF };

    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: namespace,
        labels: { ...labels, ...podSecurityLabels('restricted', config.kubernetesVersion) },
      },
    });

    // Filled by the Cluster stack's root Application (a Kustomize patch): the values only a deployment knows.
    new k8s.KubeConfigMap(this, 'DeployValues', {
      metadata: {
        name: DEPLOY_VALUES.configMap,
        namespace,
        labels,
        annotations: { 'shopfront.io/filled-by': "the Cluster stack's root Application" },
      },
    });

    new AwsSecretStore(this, 'SecretStore', { name: SECRET_STORE_NAME, namespace, region: config.region });
    const containers = catalog.containers;
    for (const service of containers.filter(ownsPostgres)) {
      new ExternalSecret(this, `${service.name}-database`, {
        name: databaseSecretName(service.name),
        namespace,
        labels,
        storeName: SECRET_STORE_NAME,
        extractFrom: `${resourceName(env, service.name)}/database`,
        template: { [DATABASE_URL_KEY]: DATABASE_URL_TEMPLATE },
      });
    }
    if (config.resultsDatabase) {
      if (!config.resultsDatabaseServerCa) {
        throw new Error(
          `'environments[${env.name}].resultsDatabaseServerCa' must be set where the analytics link is configured, got undefined`,
        );
      }
      // Not a secret: a ConfigMap, mounted as the file the URL's sslrootcert names (ServiceWorkload).
      new k8s.KubeConfigMap(this, 'ResultsDatabaseServerCa', {
        metadata: { name: RESULTS_DATABASE_SERVER_CA.configMap, namespace, labels },
        data: { [RESULTS_DATABASE_SERVER_CA.key]: config.resultsDatabaseServerCa },
      });
      new ExternalSecret(this, RESULTS_DATABASE_SECRET, {
        name: RESULTS_DATABASE_SECRET,
        namespace,
        labels,
        storeName: SECRET_STORE_NAME,
        extractFrom: resultsReaderSecretName(env),
        template: { [ANALYTICS_DATABASE_URL_KEY]: RESULTS_DATABASE_URL_TEMPLATE },
      });
    }
    for (const secret of catalog.secrets) {
      if (!secret.readers.some((r) => containers.includes(r))) continue;
      const key = SECRET_VARIABLES[secret.name];
      if (!key) throw new Error(`platform secret '${secret.name}' has no variable in SECRET_VARIABLES`);
      new ExternalSecret(this, secret.name, {
        name: secret.name,
        namespace,
        labels,
        storeName: SECRET_STORE_NAME,
        plainValue: { remoteKey: resourceName(env, secret.name), key },
      });
    }

    for (const service of containers) {
      this.workloads.set(
        service.name,
        new ServiceWorkload(this, service.name, { catalog, service, namespace, config }),
      );
    }

    this.networkPolicies = new PlatformNetworkPolicies(this, 'NetworkPolicies', {
      catalog,
      namespace,
      vpcCidr: env.network.cidr,
      monitoringNamespace: config.monitoringNamespace,
      resultsDatabase: config.resultsDatabase
        ? { reader: RESULTS_DATABASE.reader, cidr: env.gcp.network.privateServiceCidr }
        : undefined,
    });

    // Every public service behind one load balancer (one ALB ingress group), so the shop and the API share an
    // origin: the longest path prefix is evaluated first (the group's order), `/` last.
    const publicServices = containers
      .filter((s) => s.public)
      .sort((a, b) => ingressPath(b).length - ingressPath(a).length);
    publicServices.forEach((service, index) => {
      const port = service.ports.find((p) => p.protocol === 'http');
      if (!port) throw new Error(`'services[${service.name}].public' needs an http port for the load balancer`);
      new k8s.KubeIngress(this, `${service.name}-ingress`, {
        metadata: {
          name: service.name,
          namespace,
          labels: { ...labels, 'app.kubernetes.io/name': service.name },
          annotations: {
            'alb.ingress.kubernetes.io/group.name': INGRESS_GROUP,
            'alb.ingress.kubernetes.io/group.order': String(index + 1),
            'alb.ingress.kubernetes.io/scheme': 'internet-facing',
            'alb.ingress.kubernetes.io/target-type': 'ip',
            'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]',
            'alb.ingress.kubernetes.io/ssl-redirect': '443',
            'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
            'alb.ingress.kubernetes.io/backend-protocol': 'HTTP',
            'alb.ingress.kubernetes.io/healthcheck-path': '/readyz',
            'alb.ingress.kubernetes.io/success-codes': '200',
            'alb.ingress.kubernetes.io/load-balancer-attributes':
              'routing.http.drop_invalid_header_fields.enabled=true,idle_timeout.timeout_seconds=60',
          },
        },
        spec: {
          ingressClassName: 'alb',
          rules: [
            {
              // The host rule and the certificate-arn annotation come from the Cluster stack's root Application.
              http: {
                paths: [
                  {
                    path: ingressPath(service),
                    pathType: 'Prefix',
                    backend: { service: { name: service.name, port: { name: port.name } } },
                  },
                ],
              },
            },
          ],
        },
      });
    });
    annotateSyncWaves(this);
  }
}
