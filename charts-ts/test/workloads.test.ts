import {
  DEPLOY_VALUES,
  DEPLOYMENT,
  grpcPort,
  httpPort,
  KUBERNETES_NAMESPACE,
  shop,
  traceCollectorEndpoint,
} from '../../lib/platform';
import { type Json, named, ofKind, podSpec, spec, synth } from './helpers';

const dev = synth();
const containers = shop.containers;

describe('the container services of the catalog', () => {
  test('each one has exactly a ServiceAccount, ConfigMap, Deployment, Service, PDB and HPA of its name', () => {
    for (const kind of ['ServiceAccount', 'Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']) {
      expect(
        ofKind(dev.platform, kind)
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(containers.map((s) => s.name).sort());
    }
    expect(
      ofKind(dev.platform, 'ConfigMap')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual([...containers.map((s) => `${s.name}-config`), DEPLOY_VALUES.configMap].sort());
    for (const o of dev.platform) {
      if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe(KUBERNETES_NAMESPACE);
    }
  });

  test.each(containers.map((s) => [s.name, s] as const))(
    '%s: container and Service ports are the catalog ports',
    (name, s) => {
      const container = podSpec(named(dev.platform, 'Deployment', name)).containers[0];
      expect(container.ports).toEqual(s.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })));
      expect(spec(named(dev.platform, 'Service', name)).ports).toEqual(
        s.ports.map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: p.name,
          protocol: 'TCP',
          appProtocol: p.protocol,
        })),
      );
    },
  );

  test.each(containers.map((s) => [s.name, s] as const))('%s: resources are the catalog resources', (name, s) => {
    const { resources } = podSpec(named(dev.platform, 'Deployment', name)).containers[0];
    expect(resources.requests).toMatchObject({
      cpu: `${s.resources?.requests.cpuMillis}m`,
      memory: `${s.resources?.requests.memoryMiB}Mi`,
    });
    expect(resources.limits).toMatchObject({
      cpu: `${s.resources?.limits.cpuMillis}m`,
      memory: `${s.resources?.limits.memoryMiB}Mi`,
    });
  });

  test.each(containers.map((s) => [s.name, s] as const))('%s: probes', (name, s) => {
    const container = podSpec(named(dev.platform, 'Deployment', name)).containers[0];
    const http = httpPort(s).name;
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: http });
    expect(container.startupProbe.httpGet).toEqual({ path: '/livez', port: http });
    const grpc = grpcPort(s);
    // Readiness follows dependencies: grpc.health.v1 on gRPC services, /readyz otherwise.
    if (grpc) expect(container.readinessProbe.grpc).toEqual({ port: grpc.port });
    else expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: http });
    expect(container.readinessProbe).not.toEqual(container.livenessProbe);
  });

  test.each(containers.map((s) => [s.name] as const))(
    '%s: Pod Security restricted and its own ServiceAccount',
    (name) => {
      const pod = podSpec(named(dev.platform, 'Deployment', name));
      expect(pod.serviceAccountName).toBe(name);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser).toBeGreaterThanOrEqual(1000);
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.securityContext.capabilities.add).toBeUndefined();
        expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      }
      expect(pod.volumes).toContainEqual(expect.objectContaining({ name: 'tmp', emptyDir: expect.anything() }));
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(named(dev.platform, 'ServiceAccount', name)).toMatchObject({ automountServiceAccountToken: false });
    },
  );

  test.each(containers.map((s) => [s.name] as const))(
    '%s: image named by its ECR repository alone, no registry account',
    (name) => {
      const { image } = podSpec(named(dev.platform, 'Deployment', name)).containers[0];
      // The Cluster stack's root Application points `shopfront/<name>` at the environment's registry and tag.
      expect(image).toBe(`shopfront/${name}:${DEPLOYMENT.imageTag}`);
    },
  );

  test('pods spread across zones and hosts, and the autoscaler alone sets the replica count', () => {
    for (const s of containers) {
      const deployment = named(dev.platform, 'Deployment', s.name);
      expect(spec(deployment).replicas).toBeUndefined();
      const keys = podSpec(deployment).topologySpreadConstraints.map((t: Json) => t.topologyKey);
      expect(keys).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
      expect(spec(named(dev.platform, 'PodDisruptionBudget', s.name))).toMatchObject({ maxUnavailable: 1 });
    }
  });

  test('pods carry the seed prometheus.io annotations for their metrics port', () => {
    for (const s of containers) {
      const annotations = spec(named(dev.platform, 'Deployment', s.name)).template.metadata.annotations;
      expect(annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(httpPort(s).port),
        'prometheus.io/path': '/metrics',
      });
    }
  });

  test('the gateway is exposed through an internet-facing ALB in IP mode with HTTPS and /readyz health checks', () => {
    const ingress = named(dev.platform, 'Ingress', 'api-gateway');
    expect(spec(ingress).ingressClassName).toBe('alb');
    expect((ingress.metadata as Json).annotations).toMatchObject({
      'alb.ingress.kubernetes.io/scheme': 'internet-facing',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/ssl-redirect': '443',
      'alb.ingress.kubernetes.io/healthcheck-path': '/readyz',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]',
    });
    // The certificate and the host rule are the deployment's: the Cluster stack's root Application adds them.
    expect((ingress.metadata as Json).annotations).not.toHaveProperty(['alb.ingress.kubernetes.io/certificate-arn']);
    expect(spec(ingress).rules[0].host).toBeUndefined();
    expect(spec(ingress).rules[0].http.paths[0].backend).toEqual({
      service: { name: 'api-gateway', port: { name: 'http' } },
    });
    expect(ofKind(dev.platform, 'Ingress')).toHaveLength(containers.filter((s) => s.public).length);
  });

  test('the shop and its API share one load balancer and origin: /api to the gateway, / to the storefront', () => {
    const ingresses = ofKind(dev.platform, 'Ingress');
    const routes = ingresses.map((i) => {
      const annotations = (i.metadata as Json).annotations;
      const path = spec(i).rules[0].http.paths[0];
      return {
        group: annotations['alb.ingress.kubernetes.io/group.name'],
        order: Number(annotations['alb.ingress.kubernetes.io/group.order']),
        path: path.path,
        pathType: path.pathType,
        backend: path.backend.service.name,
      };
    });
    expect(routes.sort((a, b) => a.order - b.order)).toEqual([
      { group: 'shopfront', order: 1, path: '/api', pathType: 'Prefix', backend: 'api-gateway' },
      { group: 'shopfront', order: 2, path: '/', pathType: 'Prefix', backend: 'storefront' },
    ]);
  });

  test('the storefront runs as its own hardened deployable whose ServiceAccount carries no identity', () => {
    const account = named(dev.platform, 'ServiceAccount', 'storefront') as Json;
    expect(account.automountServiceAccountToken).toBe(false);
    // Only Argo CD's ordering: no role annotation (nor a Pod Identity association: needsCloudIdentity).
    expect(account.metadata.annotations ?? {}).toEqual({ 'argocd.argoproj.io/sync-wave': expect.any(String) });
    const pod = podSpec(named(dev.platform, 'Deployment', 'storefront'));
    expect(pod.containers[0].image).toMatch(/^shopfront\/storefront:/);
    expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    // No secret, no database: nothing but its wiring.
    expect(pod.containers[0].env ?? []).toEqual([]);
    expect((named(dev.platform, 'ConfigMap', 'storefront-config') as Json).data).toEqual({
      LOG_LEVEL: expect.any(String),
      HTTP_PORT: '8090',
      API_GATEWAY_SERVICE_ADDR: `api-gateway.${KUBERNETES_NAMESPACE}.svc.cluster.local:8080`,
      OTEL_EXPORTER_OTLP_ENDPOINT: traceCollectorEndpoint(),
      DEPLOYMENT_ENVIRONMENT: 'dev',
    });
    expect(spec(named(dev.platform, 'HorizontalPodAutoscaler', 'storefront'))).toMatchObject({
      minReplicas: 2,
      maxReplicas: 4,
    });
  });

  test('the namespace enforces Pod Security restricted', () => {
    expect(named(dev.platform, 'Namespace', KUBERNETES_NAMESPACE).metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });
});

describe('log shipping', () => {
  test('Fluent Bit runs as uid 0 without capabilities or privilege escalation, read-only', () => {
    const pod = podSpec(named(dev.logging, 'DaemonSet', 'fluent-bit'));
    expect(pod.containers[0].securityContext).toMatchObject({
      runAsUser: 0,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.volumes).toContainEqual({ name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'varlog', mountPath: '/var/log', readOnly: true });
  });
});
