import { KUBERNETES_NAMESPACE } from './catalog';
import { traceCollectorEndpoint } from './deployment';
import type { PlatformQuery } from './query';
import type { PortSpec, ServiceSpec } from './types';

/**
 * Where a service listens and how its callers reach it: in a cluster, the catalog's port at the Service's DNS
 * name; on one machine, the catalog's port shifted by an offset on a loopback address.
 */
export interface Addressing {
  /** The port a service binds for one of its catalog ports. */
  listenPort(service: ServiceSpec, port: PortSpec): number;
  /** `host:port` a caller dials to reach a peer's port. */
  address(peer: ServiceSpec, port: PortSpec): string;
  /** The OTLP/HTTP collector spans go to; without one, the kit writes them to its trace file (or nowhere). */
  readonly traceCollector?: string;
}

/** Kubernetes: every service on its catalog ports, reached through `<service>.<namespace>.svc.cluster.local`. */
export function clusterAddressing(namespace: string = KUBERNETES_NAMESPACE): Addressing {
  return {
    listenPort: (_service, port) => port.port,
    address: (peer, port) => `${peer.name}.${namespace}.svc.cluster.local:${port.port}`,
    traceCollector: traceCollectorEndpoint(),
  };
}

/** The largest offset a local platform may shift the catalog's ports by (the highest port stays below 65536). */
export const MAX_PORT_OFFSET = 15_000;

/** One machine: every service on `host`, on its catalog port plus `offset` (so a second platform can run beside). */
export function localAddressing(offset = 0, host = '127.0.0.1'): Addressing {
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_PORT_OFFSET) {
    throw new Error(`'portOffset' must be an integer from 0 to ${MAX_PORT_OFFSET}, got ${offset}`);
  }
  return {
    listenPort: (_service, port) => port.port + offset,
    address: (_peer, port) => `${host}:${port.port + offset}`,
  };
}

const upperSnake = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

/** `GRPC_PORT`, `HTTP_PORT`, `METRICS_PORT`: one variable per catalog port, named after the port. */
export const portVariable = (port: PortSpec): string => `${upperSnake(port.name)}_PORT`;

/** `user-service` -> `USER_SERVICE_ADDR`; `analytics` -> `ANALYTICS_SERVICE_ADDR`. */
export const peerVariable = (peer: string): string => `${upperSnake(peer.replace(/-service$/, ''))}_SERVICE_ADDR`;

/** The OpenTelemetry SDK's own name for the OTLP collector's endpoint; the service kit reads it. */
export const TRACE_COLLECTOR_VARIABLE = 'OTEL_EXPORTER_OTLP_ENDPOINT';

export const topicVariable = (topic: string): string => `KAFKA_TOPIC_${upperSnake(topic)}`;
export const consumerGroupVariable = (topic: string): string => `KAFKA_CONSUMER_GROUP_${upperSnake(topic)}`;

export function grpcPort(service: ServiceSpec): PortSpec | undefined {
  return service.ports.find((p) => p.protocol === 'grpc');
}

/** The HTTP port that serves /livez, /readyz and /metrics: `metrics` or, on services with an API, `http`. */
export function httpPort(service: ServiceSpec): PortSpec {
  const port = service.ports.find((p) => p.name === 'metrics') ?? service.ports.find((p) => p.protocol === 'http');
  if (!port) {
    throw new Error(
      `'services[${service.name}].ports' must include an http port (for /livez, /readyz and /metrics), got ${JSON.stringify(service.ports.map((p) => p.name))}`,
    );
  }
  return port;
}

export function ownsPostgres(service: ServiceSpec): boolean {
  return service.owns.some((d) => d.kind === 'postgres');
}

export function usesKafka(service: ServiceSpec): boolean {
  return service.produces.length > 0 || service.consumes.length > 0;
}

/** The port a caller dials on a peer: its gRPC port, or for a peer that speaks HTTP only (the gateway), its `http`. */
export function callPort(service: ServiceSpec): PortSpec | undefined {
  return grpcPort(service) ?? service.ports.find((p) => p.name === 'http');
}

/** The address of the port a caller dials on a peer (`callPort`), as `addressing` reaches it. */
export function peerAddress(catalog: PlatformQuery, caller: ServiceSpec, peer: string, addressing: Addressing): string {
  const target = catalog.service(peer);
  const port = callPort(target);
  if (!port) {
    throw new Error(
      `'services[${caller.name}].calls' must name services with a grpc or http port, got '${peer}' (none)`,
    );
  }
  return addressing.address(target, port);
}

/**
 * Whether a service needs an identity in the cloud (an IAM role bound to its ServiceAccount): it reads a database
 * or a platform secret, or produces or consumes a topic. A service that needs none gets no role at all.
 */
export function needsCloudIdentity(service: ServiceSpec): boolean {
  return ownsPostgres(service) || usesKafka(service) || (service.secrets ?? []).length > 0;
}

/**
 * The variables that wire a service into the platform, derived from the catalog alone: a port variable per port,
 * an address per peer it calls, the name of each topic it produces or consumes and its consumer group per topic,
 * and the trace collector when the addressing has one (a cluster).
 * Settings (timeouts, sizes) are not here: their defaults live in each service's configuration schema.
 */
export function serviceWiring(
  catalog: PlatformQuery,
  service: ServiceSpec | string,
  addressing: Addressing,
): Record<string, string> {
  const spec = typeof service === 'string' ? catalog.service(service) : service;
  const variables: Record<string, string> = {};
  for (const port of spec.ports) variables[portVariable(port)] = String(addressing.listenPort(spec, port));
  for (const peer of spec.calls) variables[peerVariable(peer)] = peerAddress(catalog, spec, peer, addressing);
  for (const topic of [...spec.produces, ...spec.consumes]) variables[topicVariable(topic)] = catalog.topic(topic).name;
  for (const topic of spec.consumes) variables[consumerGroupVariable(topic)] = catalog.consumerGroup(spec.name, topic);
  if (addressing.traceCollector !== undefined) variables[TRACE_COLLECTOR_VARIABLE] = addressing.traceCollector;
  return variables;
}
