import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import express, { type Express as Application, type NextFunction, type Request, type Response } from 'express';
import type { Health } from './health';
import type { Logger } from './logger';
import { observeLatency, type ServiceMetrics } from './metrics';
import { activeTraceIds } from './trace-ids';
import { extractTraceContext, type Tracing } from './tracing';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const REQUEST_ID_HEADER = 'x-request-id';

declare global {
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
    }
  }
}

export interface HttpAppOptions {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly health: Health;
}

/** The matched route template, never the raw path, so ids do not explode label cardinality. */
function routeTemplate(req: Request): string {
  return req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
}

/** Probes and scrapes: frequent, always the same, and in no one's request. */
const UNTRACED_PATHS = new Set(['/livez', '/readyz', '/metrics']);

/**
 * A server span around every request but probes and scrapes, a child of the caller's `traceparent` (a missing or
 * malformed one starts a new trace); the request runs inside it, so its logs, metrics and outgoing calls join it.
 */
function traced(app: Application, tracing: Tracing) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const pathname = query < 0 ? url : url.slice(0, query);
    if (UNTRACED_PATHS.has(pathname)) {
      app(req, res);
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
      const route = routeTemplate(req as Request);
      span.updateName(`${method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => app(req, res));
  };
}

/**
 * An express app with what every service's HTTP side needs: a request id (taken from `x-request-id`
 * when well-formed, else generated, echoed back), a child logger per request, RED metrics by route
 * template, `/livez` (the process runs), `/readyz` (its dependencies answer) and `/metrics`.
 */
export function createHttpApp(options: HttpAppOptions): Application {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header(REQUEST_ID_HEADER);
    req.id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = options.logger.child({ requestId: req.id });
    res.setHeader(REQUEST_ID_HEADER, req.id);
    const started = process.hrtime.bigint();
    // Taken now, inside the request's span: 'finish' may fire outside it.
    const trace = activeTraceIds();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(req);
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      options.metrics.httpRequests.inc(labels);
      observeLatency(options.metrics.httpDuration, labels, seconds, trace);
      if (!req.path.startsWith('/livez') && !req.path.startsWith('/readyz') && req.path !== '/metrics') {
        req.log.info({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
      }
    });
    next();
  });
  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await options.health.report();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', options.metrics.registry.contentType);
    res.send(await options.metrics.registry.metrics());
  });
  return app;
}

interface RouterLayer {
  route?: unknown;
}

/**
 * createHttpApp registers /livez, /readyz and /metrics before a service can add middleware. Moves the middleware
 * just added (helmet, say) in front of the first route, so those answers carry it too.
 */
export function runBeforeKitRoutes(app: Application): void {
  const stack = (app.router as unknown as { stack: RouterLayer[] }).stack;
  const firstRoute = stack.findIndex((layer) => layer.route !== undefined);
  const added = stack.pop();
  if (!added || added.route !== undefined) throw new Error('expected the middleware just added on top of the stack');
  stack.splice(firstRoute === -1 ? stack.length : firstRoute, 0, added);
}

export interface RunningHttpServer {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting connections and resolves when in-flight requests have finished. */
  close(): Promise<void>;
}

export async function listenHttp(
  app: Application,
  port: number,
  host = '0.0.0.0',
  tracing?: Tracing,
): Promise<RunningHttpServer> {
  // Slow or idle clients cannot hold sockets forever: the header and request timeouts below are enforced by a
  // sweep every connectionsCheckingInterval (Node's default, 30 s, would let a slowloris client stay 40 s).
  const server = createServer({ connectionsCheckingInterval: 1000 }, tracing ? traced(app, tracing) : app);
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
