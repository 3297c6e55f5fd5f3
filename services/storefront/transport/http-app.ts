import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { createProxyMiddleware } from 'http-proxy-middleware';
import type { Health } from '../../../lib/runtime/health';
import { createHttpApp, runBeforeKitRoutes } from '../../../lib/runtime/http';
import type { Logger } from '../../../lib/runtime/logger';
import type { ServiceMetrics } from '../../../lib/runtime/metrics';
import { ASSETS_PREFIX } from '../web/build';

/** The public REST API's prefix: the only path passed on to the gateway. */
export const API_PREFIX = '/api/v1';

/**
 * Everything the pages load comes from this origin: no inline script or style, no eval, no other host, no frames,
 * no plugins; forms post nowhere but here. The pages call the API with fetch (`connect-src 'self'`).
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  manifestSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
} as const;

const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { ...CONTENT_SECURITY_POLICY } },
  crossOriginEmbedderPolicy: true,
};

export interface StorefrontAppDeps {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly health: Health;
  /** The folder with `index.html` and `assets/`. */
  readonly siteDir: string;
  /** `host:port` of the gateway. */
  readonly gatewayAddress: string;
  readonly proxyTimeoutMs: number;
}

const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message } });

/**
 * The storefront's express app: the kit's app (request ids, metrics, /livez, /readyz, /metrics), helmet with a
 * strict Content-Security-Policy, the page at `/`, the hashed assets (cached for a year: a new build has new names),
 * `/api/v1/*` passed on to the gateway unchanged, and a JSON 404 for anything else.
 */
export function createStorefrontApp(deps: StorefrontAppDeps): Express {
  const app = createHttpApp(deps);
  app.use(helmet(HELMET_OPTIONS));
  runBeforeKitRoutes(app);

  app.use(
    createProxyMiddleware<Request, Response>({
      target: `http://${deps.gatewayAddress}`,
      pathFilter: (pathname) => pathname === API_PREFIX || pathname.startsWith(`${API_PREFIX}/`),
      // The gateway sees the same Host and path the browser sent; it sets its own headers on the answer.
      changeOrigin: false,
      xfwd: true,
      // The gateway's answer is bounded; the browser's own socket is not given a timeout per request, which would add a
      // listener to a kept-alive socket on every request passed through it.
      proxyTimeout: deps.proxyTimeoutMs,
      on: {
        error: (error: Error, req: IncomingMessage, res: ServerResponse | unknown) => {
          const code = (error as NodeJS.ErrnoException).code;
          deps.logger.warn({ code, url: req.url?.split('?')[0] }, 'the gateway did not answer');
          const out = res as ServerResponse;
          if (typeof out.writeHead !== 'function' || out.headersSent) {
            (out as { destroy?: () => void }).destroy?.();
            return;
          }
          const timedOut = code === 'ECONNRESET' || code === 'ETIMEDOUT';
          out.writeHead(timedOut ? 504 : 502, {
            'content-type': 'application/json; charset=utf-8',
            'retry-after': '1',
          });
          out.end(errorBody('UNAVAILABLE', 'the shop cannot reach its API just now; try again in a moment'));
        },
      },
    }),
  );

  app.use(
    ASSETS_PREFIX,
    express.static(path.join(deps.siteDir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      fallthrough: true,
    }),
  );
  app.get('/', (_req: Request, res: Response) => {
    // The document names the hashed assets of this build: always asked for again.
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(deps.siteDir, 'index.html'), { cacheControl: false });
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).type('application/json').send(errorBody('NOT_FOUND', 'no such page; the shop is at /'));
  });
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).type('application/json').send(errorBody('INVALID_ARGUMENT', 'the request is not valid'));
      return;
    }
    req.log.error({ err: { type: error instanceof Error ? error.name : typeof error } }, 'unexpected error');
    res.status(500).type('application/json').send(errorBody('INTERNAL', 'something went wrong on our side'));
  });
  return app;
}
