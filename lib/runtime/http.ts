import express, { type Express as Application, type NextFunction, type Request, type Response } from 'express';
import type { Health } from './health';
import { REQUEST_ID_HEADER, requestIdOf, routeTemplate } from './http-server';
import type { Logger } from './logger';
import { observeLatency, type ServiceMetrics } from './metrics';
import { activeTraceIds } from './trace-ids';

export { listenHttp, REQUEST_ID_HEADER, type RunningHttpServer } from './http-server';

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
    req.id = requestIdOf(req);
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
