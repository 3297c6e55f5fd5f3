import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Health } from './health';
import type { Logger } from './logger';
import { observeLatency, type ServiceMetrics } from './metrics';
import { activeTraceIds } from './trace-ids';
import { extractTraceContext, type Tracing } from './tracing';

// The HTTP server every service listens with, and the probe listener of services whose only HTTP side is for
// operators (/livez, /readyz, /metrics). Neither needs express: a service that serves no routes of its own does
// not load it (about 3 MiB of heap in each isolate).

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const REQUEST_ID_HEADER = 'x-request-id';

/** The caller's `x-request-id` when it is one well-formed value, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** The route template express matched, never the raw path, so metrics and spans stay low-cardinality. */
export function routeTemplate(req: IncomingMessage): string {
  const routed = req as IncomingMessage & { baseUrl?: string; route?: { path?: unknown } };
  return routed.route?.path ? `${routed.baseUrl ?? ''}${String(routed.route.path)}` : 'unmatched';
}

/** Probes and scrapes: frequent, always the same, and in no one's request. */
const PROBE_PATHS = new Set(['/livez', '/readyz', '/metrics']);

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/**
 * A server span around every request but probes and scrapes, a child of the caller's `traceparent` (a missing or
 * malformed one starts a new trace); the request runs inside it, so its logs, metrics and outgoing calls join it.
 */
function traced(listener: RequestListener, tracing: Tracing): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const pathname = pathOf(req);
    if (PROBE_PATHS.has(pathname)) {
      listener(req, res);
      return;
    }
    const method = req.method ?? 'GET';
    const parent = tracing.withTracer(extractTraceContext(req.headers));
    const span = tracing.tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': pathname } },
      parent,
    );
    res.once('close', () => {
      const route = routeTemplate(req);
      span.updateName(`${method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => listener(req, res));
  };
}

export interface RunningHttpServer {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting connections and resolves when in-flight requests have finished. */
  close(): Promise<void>;
}

export async function listenHttp(
  listener: RequestListener,
  port: number,
  host = '0.0.0.0',
  tracing?: Tracing,
): Promise<RunningHttpServer> {
  // Slow or idle clients cannot hold sockets forever: the header and request timeouts below are enforced by a
  // sweep every connectionsCheckingInterval (Node's default, 30 s, would let a slowloris client stay 40 s).
  const server = createServer({ connectionsCheckingInterval: 1000 }, tracing ? traced(listener, tracing) : listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

export interface ProbeListenerOptions {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly health: Health;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * `/livez` (the process runs), `/readyz` (its dependencies answer) and `/metrics`, with the same request id, RED
 * metrics and answers as the express apps of services with routes of their own; any other path or method is a JSON
 * 404 or 405. The request body, if any, is drained unread.
 */
export function createProbeListener(options: ProbeListenerOptions): RequestListener {
  const answer = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (!PROBE_PATHS.has(path)) {
      sendJson(res, 404, { error: 'not_found', message: `no route ${req.method ?? 'GET'} ${path}` });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'method_not_allowed', message: `${path} answers GET and HEAD` });
      return;
    }
    if (path === '/livez') {
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      const report = await options.health.report();
      sendJson(res, report.ready ? 200 : 503, {
        status: report.ready ? 'ready' : 'not ready',
        checks: report.checks,
      });
    } else {
      const text = await options.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': options.metrics.registry.contentType });
      res.end(text);
    }
  };

  return (req, res) => {
    const id = requestIdOf(req);
    const log = options.logger.child({ requestId: id });
    res.setHeader(REQUEST_ID_HEADER, id);
    const started = process.hrtime.bigint();
    const traceIds = activeTraceIds();
    const path = pathOf(req);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A probe's path is its route; anything else is one label, whatever its path.
      const route = PROBE_PATHS.has(path) ? path : 'unmatched';
      const labels = { method: req.method ?? 'GET', route, status_code: String(res.statusCode) };
      options.metrics.httpRequests.inc(labels);
      observeLatency(options.metrics.httpDuration, labels, seconds, traceIds);
      if (!PROBE_PATHS.has(path)) {
        log.info({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
      }
    });
    req.resume();
    answer(req, res, path).catch((error: unknown) => {
      log.error({ err: error }, 'probe failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: 'the probe failed' });
      else res.destroy();
    });
  };
}
