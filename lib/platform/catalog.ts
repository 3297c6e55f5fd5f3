import { type EnvironmentName, type EnvironmentSpec, type GcpSpec, type ScalingSpec, Workload } from './types';
import { defineCatalog } from './validate';

export const TOPIC_ORDERS = 'orders';
export const TOPIC_ANALYTICS_RESULTS = 'analytics-results';
/** Signs (user-service) and verifies (api-gateway) access tokens. */
export const SECRET_JWT_SIGNING_KEY = 'jwt-signing-key';
/** The Kubernetes namespace of the platform's workloads. */
export const KUBERNETES_NAMESPACE = 'shopfront';

/** The seed's order-service autoscaling: fast scale-up, cautious scale-down. */
const ORDER_SCALING: ScalingSpec = {
  minReplicas: 2,
  maxReplicas: 10,
  metric: { resource: 'cpu', targetUtilizationPercent: 70 },
  behavior: {
    scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
    scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
  },
};

const cpuScaling = (minReplicas: number, maxReplicas: number): ScalingSpec => ({
  minReplicas,
  maxReplicas,
  metric: { resource: 'cpu', targetUtilizationPercent: 70 },
});

const small = { requests: { cpuMillis: 100, memoryMiB: 128 }, limits: { cpuMillis: 500, memoryMiB: 512 } };
const medium = { requests: { cpuMillis: 250, memoryMiB: 256 }, limits: { cpuMillis: 1000, memoryMiB: 512 } };

const environment = (
  name: EnvironmentName,
  overrides: Omit<EnvironmentSpec, 'name' | 'region' | 'availabilityZones'>,
): EnvironmentSpec => ({
  name,
  region: 'eu-west-1',
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  ...overrides,
});

/** The GCP side of an environment: Belgium, the region nearest Ireland; `projectId` is a placeholder. */
const gcp = (
  name: EnvironmentName,
  spec: {
    subnetCidr: string;
    privateServiceCidr: string;
    vpnInsideCidrs: GcpSpec['network']['vpnInsideCidrs'];
    dataproc: Omit<GcpSpec['dataproc'], 'imageVersion'>;
  } & Pick<GcpSpec, 'cloudSql'>,
): GcpSpec => ({
  projectId: `shopfront-analytics-${name}`,
  region: 'europe-west1',
  zone: 'europe-west1-b',
  network: {
    subnetCidr: spec.subnetCidr,
    privateServiceCidr: spec.privateServiceCidr,
    vpnInsideCidrs: spec.vpnInsideCidrs,
  },
  // Debian 12 image line; the job needs its Flink to be 1.20 (start-job.sh checks).
  dataproc: { imageVersion: '2.3-debian12', ...spec.dataproc },
  cloudSql: spec.cloudSql,
});

/** The platform: every component, what it calls, owns, produces and consumes, and where it runs. */
export const platform = defineCatalog({
  services: [
    {
      name: 'api-gateway',
      workload: Workload.CONTAINER,
      description: 'Public REST API (JWT) translated to gRPC calls on the domain services.',
      ports: [{ name: 'http', protocol: 'http', port: 8080 }],
      calls: ['user-service', 'product-service', 'order-service'],
      owns: [],
      produces: [],
      consumes: [],
      secrets: [SECRET_JWT_SIGNING_KEY],
      public: true,
      ingressPath: '/api',
      scaling: cpuScaling(2, 10),
      resources: small,
    },
    {
      name: 'storefront',
      workload: Workload.CONTAINER,
      description: "The shop's web pages and the operator's console; the browser calls the public REST API.",
      ports: [{ name: 'http', protocol: 'http', port: 8090 }],
      // Same origin without the load balancer (one machine, a port-forward): /api/v1 is passed on to the gateway.
      calls: ['api-gateway'],
      owns: [],
      produces: [],
      consumes: [],
      public: true,
      ingressPath: '/',
      scaling: cpuScaling(2, 4),
      resources: { requests: { cpuMillis: 50, memoryMiB: 96 }, limits: { cpuMillis: 250, memoryMiB: 256 } },
    },
    {
      name: 'user-service',
      workload: Workload.CONTAINER,
      description: 'Accounts, password hashing and JWT issuance.',
      ports: [
        { name: 'grpc', protocol: 'grpc', port: 50051 },
        { name: 'metrics', protocol: 'http', port: 9151 },
      ],
      calls: [],
      owns: [{ kind: 'postgres', database: 'users' }],
      produces: [],
      consumes: [],
      secrets: [SECRET_JWT_SIGNING_KEY],
      scaling: cpuScaling(2, 6),
      // Memory-hard password hashing needs headroom per request.
      resources: medium,
    },
    {
      name: 'product-service',
      workload: Workload.CONTAINER,
      description: 'Product catalogue over HTTP; stock reservations over gRPC.',
      ports: [
        { name: 'http', protocol: 'http', port: 8001 },
        { name: 'grpc', protocol: 'grpc', port: 50052 },
      ],
      calls: [],
      owns: [{ kind: 'postgres', database: 'products' }],
      produces: [],
      consumes: [],
      // Verifies the caller's token on admin operations.
      secrets: [SECRET_JWT_SIGNING_KEY],
      scaling: cpuScaling(2, 6),
      resources: small,
    },
    {
      name: 'order-service',
      workload: Workload.CONTAINER,
      description: 'Order saga (reserve stock, charge, confirm) with a transactional outbox to Kafka.',
      ports: [
        { name: 'grpc', protocol: 'grpc', port: 50053 },
        { name: 'http', protocol: 'http', port: 8003 },
      ],
      calls: ['product-service', 'payment-service'],
      owns: [{ kind: 'postgres', database: 'orders' }],
      produces: [TOPIC_ORDERS],
      consumes: [],
      // Verifies the caller's token: orders belong to the authenticated user.
      secrets: [SECRET_JWT_SIGNING_KEY],
      scaling: ORDER_SCALING,
      resources: medium,
    },
    {
      name: 'payment-service',
      workload: Workload.CONTAINER,
      description: 'Idempotent charges and refunds against a Stripe-like processor.',
      ports: [
        { name: 'grpc', protocol: 'grpc', port: 50054 },
        { name: 'metrics', protocol: 'http', port: 9154 },
      ],
      calls: [],
      owns: [{ kind: 'postgres', database: 'payments' }],
      produces: [],
      consumes: [],
      scaling: { minReplicas: 2, maxReplicas: 8, metric: { resource: 'memory', targetUtilizationPercent: 80 } },
      resources: small,
    },
    {
      name: 'notification-lambda',
      workload: Workload.LAMBDA,
      description: 'Order confirmations through SNS, at most once per event (delivery records in DynamoDB).',
      ports: [],
      calls: [],
      owns: [
        { kind: 'dynamodb', table: 'notification-deliveries', partitionKey: 'eventId', ttlAttribute: 'expiresAt' },
      ],
      produces: [],
      consumes: [TOPIC_ORDERS],
    },
    {
      name: 'analytics',
      workload: Workload.STREAM_JOB,
      description: '1-minute tumbling event-time windows of orders (Flink on Dataproc; a TypeScript twin locally).',
      ports: [],
      calls: [],
      owns: [],
      produces: [TOPIC_ANALYTICS_RESULTS],
      consumes: [TOPIC_ORDERS],
      window: { windowMs: 60_000, outOfOrdernessMs: 5000, idleTimeoutMs: 10_000 },
    },
  ],
  topics: [
    {
      name: TOPIC_ORDERS,
      description: 'Order lifecycle events from the order-service outbox.',
      key: 'order id',
      eventTypes: ['com.shopfront.order.created.v1'],
      partitions: 6,
      replicationFactor: 3,
      retentionHours: 7 * 24,
    },
    {
      name: TOPIC_ANALYTICS_RESULTS,
      description: 'One record per closed 1-minute window: order count, revenue per currency, unique users.',
      key: 'window start',
      eventTypes: ['com.shopfront.analytics.window.v1'],
      partitions: 3,
      replicationFactor: 3,
      retentionHours: 30 * 24,
    },
  ],
  environments: [
    environment('dev', {
      network: { cidr: '10.10.0.0/16', natGateways: 1 },
      database: {
        instanceClass: 'db.t4g.medium',
        allocatedStorageGiB: 20,
        maxAllocatedStorageGiB: 50,
        multiAz: false,
        backupRetentionDays: 1,
      },
      kafka: { brokerInstanceType: 'kafka.t3.small', brokersPerAz: 1, volumeGiB: 20 },
      kubernetes: { nodeInstanceTypes: ['t3.large'], minNodes: 2, desiredNodes: 2, maxNodes: 4 },
      gcp: gcp('dev', {
        subnetCidr: '10.110.0.0/20',
        privateServiceCidr: '10.111.0.0/20',
        vpnInsideCidrs: ['169.254.110.0/30', '169.254.110.4/30', '169.254.110.8/30', '169.254.110.12/30'],
        dataproc: {
          masterMachineType: 'n2-standard-4',
          workerMachineType: 'n2-standard-4',
          minWorkers: 2,
          maxWorkers: 3,
          bootDiskGiB: 100,
          jobParallelism: 1,
        },
        cloudSql: { tier: 'db-custom-1-3840', diskGiB: 10 },
      }),
      deletionProtection: false,
      logRetentionDays: 14,
    }),
    environment('staging', {
      network: { cidr: '10.20.0.0/16', natGateways: 3 },
      database: {
        instanceClass: 'db.t4g.large',
        allocatedStorageGiB: 50,
        maxAllocatedStorageGiB: 200,
        multiAz: true,
        backupRetentionDays: 7,
      },
      kafka: { brokerInstanceType: 'kafka.m7g.large', brokersPerAz: 1, volumeGiB: 100 },
      kubernetes: { nodeInstanceTypes: ['m6i.large'], minNodes: 3, desiredNodes: 3, maxNodes: 6 },
      gcp: gcp('staging', {
        subnetCidr: '10.120.0.0/20',
        privateServiceCidr: '10.121.0.0/20',
        vpnInsideCidrs: ['169.254.120.0/30', '169.254.120.4/30', '169.254.120.8/30', '169.254.120.12/30'],
        dataproc: {
          masterMachineType: 'n2-standard-4',
          workerMachineType: 'n2-standard-4',
          minWorkers: 2,
          maxWorkers: 6,
          bootDiskGiB: 100,
          jobParallelism: 1,
        },
        cloudSql: { tier: 'db-custom-2-7680', diskGiB: 20 },
      }),
      deletionProtection: false,
      logRetentionDays: 30,
    }),
    environment('prod', {
      network: { cidr: '10.30.0.0/16', natGateways: 3 },
      database: {
        instanceClass: 'db.r6g.large',
        allocatedStorageGiB: 100,
        maxAllocatedStorageGiB: 1000,
        multiAz: true,
        backupRetentionDays: 30,
      },
      kafka: { brokerInstanceType: 'kafka.m7g.large', brokersPerAz: 1, volumeGiB: 500 },
      kubernetes: { nodeInstanceTypes: ['m6i.xlarge'], minNodes: 3, desiredNodes: 4, maxNodes: 12 },
      gcp: gcp('prod', {
        subnetCidr: '10.130.0.0/20',
        privateServiceCidr: '10.131.0.0/20',
        vpnInsideCidrs: ['169.254.130.0/30', '169.254.130.4/30', '169.254.130.8/30', '169.254.130.12/30'],
        dataproc: {
          masterMachineType: 'n2-standard-4',
          workerMachineType: 'n2-standard-8',
          minWorkers: 2,
          maxWorkers: 10,
          bootDiskGiB: 200,
          jobParallelism: 1,
        },
        cloudSql: { tier: 'db-custom-4-15360', diskGiB: 100 },
      }),
      deletionProtection: true,
      logRetentionDays: 365,
    }),
  ],
});
