import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
// The version every span's resource carries: the repository's, which the images are built from.
import { version as SERVICE_VERSION } from '../../package.json';
import { KUBERNETES_NAMESPACE } from '../platform';
import { FileSpanExporter } from './trace-file';
import type { TracingConfig } from './tracing-config';

export { loadTracingConfig, type TracingConfig, tracingConfigShape } from './tracing-config';

let contextInstalled = false;

/**
 * One AsyncLocalStorage context manager and the W3C propagator per isolate (a process, or a worker thread of
 * the local platform): they carry the active span across awaits for every service running there.
 */
export function installTraceContext(): void {
  if (contextInstalled) return;
  contextInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** The service's tracer rides in the context of the work done for a call, so nested calls use it. */
const TRACER_KEY = Symbol.for('shopfront.tracer');

/** The tracer of the service whose call or message is being handled; a no-op tracer outside one. */
export function activeTracer(active: Context = context.active()): Tracer {
  return (active.getValue(TRACER_KEY) as Tracer | undefined) ?? trace.getTracer('shopfront');
}

/** The collector when one is set, else the local trace file when one is set, else nowhere. */
function exporterOf(config: TracingConfig): SpanExporter | undefined {
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) {
    // Loaded only for a collector: its HTTP client and protobuf encoding are ~3 MiB of heap in every service.
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
    return new OTLPTraceExporter({ url: `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` });
  }
  if (config.TRACES_FILE)
    return new FileSpanExporter({ file: config.TRACES_FILE, maxBytes: config.TRACES_FILE_MAX_BYTES });
  return undefined;
}

export interface TracingOptions {
  /** The catalog's name of the service: `service.name`. */
  readonly service: string;
  readonly config: TracingConfig;
  /** Where spans go instead of the configured exporter (tests). */
  readonly exporter?: SpanExporter;
}

/**
 * A service's tracing: its own tracer provider (not the global one, so several services in one process — the
 * in-process platform, the tests — each name their spans), with the resource from the catalog, a parent-based
 * ratio sampler, and a batch exporter to the collector or the local trace file.
 */
export class Tracing {
  readonly tracer: Tracer;
  readonly enabled: boolean;
  private readonly provider?: TracerProvider;

  constructor(options: TracingOptions) {
    installTraceContext();
    const { config } = options;
    this.enabled = config.OTEL_SDK_DISABLED !== 'true';
    if (!this.enabled) {
      this.tracer = trace.getTracer('shopfront');
      return;
    }
    const exporter = options.exporter ?? exporterOf(config);
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({
        'service.name': options.service,
        'service.namespace': KUBERNETES_NAMESPACE,
        'service.version': SERVICE_VERSION,
        'deployment.environment.name': config.DEPLOYMENT_ENVIRONMENT,
      }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG) }),
      // Without a destination spans are still made (context passes on, logs carry the ids) but never exported.
      spanProcessors: exporter ? [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })] : [],
    });
    this.tracer = this.provider.getTracer('shopfront');
  }

  /** `parent` with this service's tracer in it: nested calls made for the work create their spans with it. */
  withTracer(parent: Context): Context {
    return parent.setValue(TRACER_KEY, this.tracer);
  }

  /** Exports what is buffered (a Lambda invocation's end). */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Exports what is buffered and stops. */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}

/** A string map of headers (HTTP, Kafka, the event log) as a propagation carrier. */
export const headerGetter: TextMapGetter<Readonly<Record<string, string | string[] | undefined>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

export const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * The context a message or call carries (`traceparent`, `tracestate`). A missing or malformed `traceparent` gives
 * the root context: the work starts a new trace and nothing fails.
 */
export function extractTraceContext(carrier: Readonly<Record<string, string | string[] | undefined>>): Context {
  return propagation.extract(ROOT_CONTEXT, carrier, headerGetter);
}

/** `traceparent` (and `tracestate`) of `from`'s span; empty when it has no valid span. */
export function traceHeaders(from: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier, headerSetter);
  return carrier;
}

/** Ends `span` as failed with the error's name and message (never a stack or a payload). */
export function endSpanWithError(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message.slice(0, 200) : '' });
  if (error instanceof Error) span.setAttribute('error.type', error.name);
  span.end();
}
