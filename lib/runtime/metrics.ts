import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A service's Prometheus registry with RED metrics for HTTP and gRPC, named as Prometheus and the
 * grpc-ecosystem middleware name them, plus the Node.js process defaults.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly grpcServerStarted: Counter<'grpc_type' | 'grpc_service' | 'grpc_method'>;
  readonly grpcServerHandled: Counter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;
  readonly grpcServerDuration: Histogram<'grpc_type' | 'grpc_service' | 'grpc_method'>;
  readonly grpcClientHandled: Counter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;
  readonly grpcClientDuration: Histogram<'grpc_type' | 'grpc_service' | 'grpc_method'>;

  constructor(service: string, options: { defaults?: boolean } = {}) {
    this.registry.setDefaultLabels({ service });
    if (options.defaults ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests handled, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to handle an HTTP request, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.grpcServerStarted = new Counter({
      name: 'grpc_server_started_total',
      help: 'RPCs started on the server.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
      registers,
    });
    this.grpcServerHandled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed on the server, by status code.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
      registers,
    });
    this.grpcServerDuration = new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'Time to handle an RPC on the server.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.grpcClientHandled = new Counter({
      name: 'grpc_client_handled_total',
      help: 'RPCs completed by the client, by status code.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
      registers,
    });
    this.grpcClientDuration = new Histogram({
      name: 'grpc_client_handling_seconds',
      help: 'Time from sending an RPC to its completion, on the client.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }
}
