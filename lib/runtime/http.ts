import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express, { type Express as Application, type NextFunction, type Request, type Response } from 'express';
import type { Health } from './health';
import type { Logger } from './logger';
import type { ServiceMetrics } from './metrics';

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
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // The matched route template, never the raw path, so ids do not explode label cardinality.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      options.metrics.httpRequests.inc(labels);
      options.metrics.httpDuration.observe(labels, seconds);
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

export async function listenHttp(app: Application, port: number, host = '0.0.0.0'): Promise<RunningHttpServer> {
  // Slow or idle clients cannot hold sockets forever: the header and request timeouts below are enforced by a
  // sweep every connectionsCheckingInterval (Node's default, 30 s, would let a slowloris client stay 40 s).
  const server = createServer({ connectionsCheckingInterval: 1000 }, app);
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
