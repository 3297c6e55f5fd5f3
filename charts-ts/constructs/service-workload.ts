import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  DEPLOY_VALUES,
  DEPLOYMENT,
  grpcPort,
  httpPort,
  imageRepositoryName,
  type PlatformQuery,
  RESULTS_DATABASE,
  RESULTS_DATABASE_SERVER_CA,
  type ScalingRules,
  type ServiceSpec,
} from '../../lib/platform';
import type { ResolvedK8sConfig } from '../config';
import { containerEnvironment, EPHEMERAL_STORAGE, selectorLabels, serviceLabels, TMP_DIR } from '../conventions';

export interface ServiceWorkloadProps {
  readonly catalog: PlatformQuery;
  readonly service: ServiceSpec;
  readonly namespace: string;
  readonly config: ResolvedK8sConfig;
}

const quantity = (value: string) => k8s.Quantity.fromString(value);
const cpu = (millis: number) => quantity(`${millis}m`);
const memory = (mib: number) => quantity(`${mib}Mi`);

/**
 * Image of a service, named by its ECR repository (`shopfront/<service>`, created by the Data stack) without a
 * registry: the Cluster stack's root Application points it at the environment's registry and image tag.
 */
export function serviceImage(service: string): string {
  return `${imageRepositoryName(service)}:${DEPLOYMENT.imageTag}`;
}

/** The volume of the results database's server CA, in its reader's pods. */
const SERVER_CA_VOLUME = 'results-database-ca';

const scalingRules = (rules: ScalingRules): k8s.HpaScalingRulesV2 => ({
  stabilizationWindowSeconds: rules.stabilizationWindowSeconds,
  policies: rules.policies.map((p) => ({ type: p.type, value: p.value, periodSeconds: p.periodSeconds })),
});

/**
 * One container service of the catalog: its ServiceAccount (the name EKS Pod Identity binds), a ConfigMap of
 * its non-secret settings, a Deployment hardened to Pod Security `restricted`, a Service with the catalog's
 * named ports, a PodDisruptionBudget and an autoscaling/v2 HorizontalPodAutoscaler from the catalog's scaling.
 */
export class ServiceWorkload extends Construct {
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly configMap: k8s.KubeConfigMap;
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;
  readonly podDisruptionBudget: k8s.KubePodDisruptionBudget;
  readonly autoscaler: k8s.KubeHorizontalPodAutoscalerV2;

  constructor(scope: Construct, id: string, props: ServiceWorkloadProps) {
    super(scope, id);
    const { service, namespace, config } = props;
    const name = service.name;
    const { scaling, resources } = service;
    if (!scaling || !resources) {
      throw new Error(`'services[${name}]' must have scaling and resources to run as a container`);
    }
    const labels = serviceLabels(name);
    const metadata = { name, namespace, labels };
    const environment = containerEnvironment(props.catalog, service, config);
    const metrics = httpPort(service);
    const grpc = grpcPort(service);

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata,
      // The Pod Identity webhook mounts its own token; the services never call the Kubernetes API.
      automountServiceAccountToken: false,
    });

    const configName = `${name}-config`;
    this.configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: { ...metadata, name: configName },
      data: environment.plain,
    });
    // The results database's reader gets its server CA as a file (the URL's sslrootcert).
    const readsResultsDatabase = config.resultsDatabase && name === RESULTS_DATABASE.reader;
    // A changed setting (or server CA) rolls the pods: ConfigMap changes are otherwise invisible to running containers.
    const hashed =
      JSON.stringify(environment.plain) + (readsResultsDatabase ? (config.resultsDatabaseServerCa ?? '') : '');
    const configHash = createHash('sha256').update(hashed).digest('hex').slice(0, 16);

    const httpGet = (path: string) => ({ path, port: k8s.IntOrString.fromString(metrics.name) });
    const readiness = grpc ? { grpc: { port: grpc.port } } : { httpGet: httpGet('/readyz') };

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata,
      spec: {
        // No replicas: the HorizontalPodAutoscaler owns the count, and a sync must not reset it.
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels(name) },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) },
        },
        template: {
          metadata: {
            labels,
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(metrics.port),
              'prometheus.io/path': '/metrics',
              'shopfront.io/config-hash': configHash,
            },
          },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 30,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: config.runAsUser,
              runAsGroup: config.runAsUser,
              fsGroup: config.runAsUser,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            topologySpreadConstraints: [
              {
                topologyKey: 'topology.kubernetes.io/zone',
                maxSkew: 1,
                // A zone without room must not stop a scale-up; the scheduler still prefers spreading.
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: selectorLabels(name) },
              },
              {
                topologyKey: 'kubernetes.io/hostname',
                maxSkew: 1,
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: selectorLabels(name) },
              },
            ],
            containers: [
              {
                name,
                image: serviceImage(name),
                imagePullPolicy: 'IfNotPresent',
                ports: service.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
                envFrom: [{ configMapRef: { name: configName } }],
                env: [
                  ...environment.deployValues.map((key) => ({
                    name: key,
                    valueFrom: { configMapKeyRef: { name: DEPLOY_VALUES.configMap, key, optional: false } },
                  })),
                  ...environment.secrets.map((s) => ({
                    name: s.variable,
                    valueFrom: { secretKeyRef: { name: s.secretName, key: s.key } },
                  })),
                ],
                resources: {
                  requests: {
                    cpu: cpu(resources.requests.cpuMillis),
                    memory: memory(resources.requests.memoryMiB),
                    'ephemeral-storage': quantity(EPHEMERAL_STORAGE.request),
                  },
                  limits: {
                    cpu: cpu(resources.limits.cpuMillis),
                    memory: memory(resources.limits.memoryMiB),
                    'ephemeral-storage': quantity(EPHEMERAL_STORAGE.limit),
                  },
                },
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: config.runAsUser,
                  runAsGroup: config.runAsUser,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  privileged: false,
                  capabilities: { drop: ['ALL'] },
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                // Started = the process serves /livez; up to 60 s for migrations before the first check counts.
                startupProbe: { httpGet: httpGet('/livez'), periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
                // Alive = the process answers; never tied to dependencies, so an outage does not restart pods.
                livenessProbe: {
                  httpGet: httpGet('/livez'),
                  periodSeconds: 10,
                  failureThreshold: 3,
                  timeoutSeconds: 2,
                },
                // Ready = its database and peers answer (grpc.health.v1 or /readyz).
                readinessProbe: { ...readiness, periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
                volumeMounts: [
                  { name: 'tmp', mountPath: TMP_DIR },
                  ...(readsResultsDatabase
                    ? [{ name: SERVER_CA_VOLUME, mountPath: RESULTS_DATABASE_SERVER_CA.directory, readOnly: true }]
                    : []),
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: { sizeLimit: quantity(EPHEMERAL_STORAGE.tmpSizeLimit) } },
              ...(readsResultsDatabase
                ? [
                    {
                      name: SERVER_CA_VOLUME,
                      configMap: {
                        name: RESULTS_DATABASE_SERVER_CA.configMap,
                        items: [{ key: RESULTS_DATABASE_SERVER_CA.key, path: RESULTS_DATABASE_SERVER_CA.key }],
                      },
                    },
                  ]
                : []),
            ],
          },
        },
      },
    });

    this.service = new k8s.KubeService(this, 'Service', {
      metadata,
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels(name),
        ports: service.ports.map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: k8s.IntOrString.fromString(p.name),
          protocol: 'TCP',
          appProtocol: p.protocol,
        })),
      },
    });

    this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata,
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selectorLabels(name) } },
    });

    this.autoscaler = new k8s.KubeHorizontalPodAutoscalerV2(this, 'Autoscaler', {
      metadata,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: scaling.minReplicas,
        maxReplicas: scaling.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: scaling.metric.resource,
              target: { type: 'Utilization', averageUtilization: scaling.metric.targetUtilizationPercent },
            },
          },
        ],
        ...(scaling.behavior
          ? {
              behavior: {
                scaleUp: scalingRules(scaling.behavior.scaleUp),
                scaleDown: scalingRules(scaling.behavior.scaleDown),
              },
            }
          : {}),
      },
    });
  }
}
