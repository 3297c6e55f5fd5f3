import {
  Counter,
  collectDefaultMetrics,
  Histogram,
  type LabelValues,
  type OpenMetricsContentType,
  Registry,
} from 'prom-client';
import { activeTraceIds, type TraceIds } from './trace-ids';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Observes `seconds` with the trace that took them as the bucket's exemplar (`trace_id`, `span_id`): from a latency
 * panel, Grafana opens the trace of a slow request. Outside a sampled span, a plain observation.
 */
export function observeLatency<L extends string>(
  histogram: Histogram<L>,
  labels: LabelValues<L>,
  seconds: number,
  trace: TraceIds | undefined = activeTraceIds(),
): void {
  // prom-client types exemplar labels like the metric's own; an exemplar's label set is its own (OpenMetrics).
  const exemplarLabels = (trace ? { trace_id: trace.trace_id, span_id: trace.span_id } : {}) as LabelValues<L>;
  histogram.observe({ labels, value: seconds, exemplarLabels });
}

/**
 * A registry that exposes OpenMetrics, as exemplars need (an exemplar histogram refuses to register elsewhere).
 * prom-client's typings leave out the constructor's content type and bind the type parameter to the text format.
 */
function openMetricsRegistry(): Registry {
  const registry = new Registry();
  (registry as unknown as Registry<OpenMetricsContentType>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

/**
 * A service's Prometheus registry with RED metrics for HTTP and gRPC, named as Prometheus and the
 * grpc-ecosystem middleware name them, plus the Node.js process defaults. It speaks OpenMetrics, the exposition
 * format that carries exemplars (Prometheus negotiates it; sample names are the same as in the text format).
 */
export class ServiceMetrics {
  readonly registry: Registry = openMetricsRegistry();
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
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Histogram<L>({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers, enableExemplars: true });
    const http = ['method', 'route', 'status_code'] as const;
    const rpc = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
    const handled = [...rpc, 'grpc_code'] as const;
    this.httpRequests = counter(
      'http_requests_total',
      'HTTP requests handled, by method, route template and status code.',
      http,
    );
    this.httpDuration = histogram(
      'http_request_duration_seconds',
      'Time to handle an HTTP request, by method, route template and status code.',
      http,
    );
    this.grpcServerStarted = counter('grpc_server_started_total', 'RPCs started on the server.', rpc);
    this.grpcServerHandled = counter(
      'grpc_server_handled_total',
      'RPCs completed on the server, by status code.',
      handled,
    );
    this.grpcServerDuration = histogram('grpc_server_handling_seconds', 'Time to handle an RPC on the server.', rpc);
    this.grpcClientHandled = counter(
      'grpc_client_handled_total',
      'RPCs completed by the client, by status code.',
      handled,
    );
    this.grpcClientDuration = histogram(
      'grpc_client_handling_seconds',
      'Time from sending an RPC to its completion, on the client.',
      rpc,
    );
  }
}
