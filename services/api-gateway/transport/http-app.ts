import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { TokenVerifier } from '../../../lib/runtime/auth';
import { NotFoundError } from '../../../lib/runtime/errors';
import type { Health } from '../../../lib/runtime/health';
import { createHttpApp } from '../../../lib/runtime/http';
import type { Logger } from '../../../lib/runtime/logger';
import type { ServiceMetrics } from '../../../lib/runtime/metrics';
import { assertAdmin, type Principal } from '../domain/access';
import type { OrderServicePeer, ProductServicePeer, UserServicePeer } from '../upstream/peers';
import { UpstreamError } from '../upstream/peers';
import { authenticate } from './auth';
import { ApiError, HttpOnlyError, toErrorReply } from './errors';
import { buildOpenApiDocument, type JsonSchema } from './openapi';
import { defineRoute, type Route, type RouteDoc } from './route';
import { gatewayRoutes } from './routes';
import { Liveness, MetricsText, OpenApiDocument, Readiness } from './schemas';

export interface GatewayAppDeps {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly health: Health;
  readonly users: UserServicePeer;
  readonly products: ProductServicePeer;
  readonly orders: OrderServicePeer;
  readonly tokens: TokenVerifier;
  readonly maxBodyBytes: number;
}

/** The routes the kit's createHttpApp serves, documented so the OpenAPI document covers the whole app. */
export const KIT_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/livez',
    operationId: 'livez',
    summary: 'The process runs',
    tag: 'operations',
    access: 'public',
    responses: { 200: { description: 'alive', schema: Liveness } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    summary: 'Ready for traffic: every peer answers SERVING',
    tag: 'operations',
    access: 'public',
    responses: {
      200: { description: 'ready', schema: Readiness },
      503: { description: 'not ready', schema: Readiness },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    tag: 'operations',
    access: 'public',
    responses: { 200: { description: 'metrics', schema: MetricsText, contentType: 'text/plain' } },
  },
];

const WWW_AUTHENTICATE = 'Bearer realm="shopfront"';

interface RouterLayer {
  route?: unknown;
}

/**
 * The kit's createHttpApp registers /livez, /readyz and /metrics before a service can add middleware. Moves the
 * middleware just added (helmet) in front of the first route, so those answers carry the same security headers.
 */
function runBeforeKitRoutes(app: Express): void {
  const stack = (app.router as unknown as { stack: RouterLayer[] }).stack;
  const firstRoute = stack.findIndex((layer) => layer.route !== undefined);
  const added = stack.pop();
  if (!added || added.route !== undefined) throw new Error('expected the middleware just added on top of the stack');
  stack.splice(firstRoute === -1 ? stack.length : firstRoute, 0, added);
}

/** The headers a route declares, read case-insensitively and keyed by their declared names; absent ones left out. */
function declaredHeaders(req: Request, route: RouteDoc): Record<string, string> | undefined {
  if (!route.headers) return undefined;
  const values: Record<string, string> = {};
  for (const name of Object.keys(route.headers.shape)) {
    const value = req.header(name);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/**
 * The gateway's express app: the kit's app (request ids, metrics, /livez, /readyz, /metrics), helmet, the
 * routes, the OpenAPI document generated from the same route definitions, a JSON 404, and a final error
 * handler that answers every failure as `{error: {code, message, field?}}`.
 */
export function createGatewayApp(deps: GatewayAppDeps): Express {
  const app = createHttpApp(deps);
  app.set('query parser', 'simple');
  app.use(
    helmet({
      // An API returns JSON, never documents to render: nothing may load, nothing may frame it.
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    }),
  );
  runBeforeKitRoutes(app);

  let openApiDocument: JsonSchema = {};
  const routes: Route[] = [
    ...gatewayRoutes(deps),
    defineRoute({
      method: 'get',
      path: '/api/v1/openapi.json',
      operationId: 'openApiDocument',
      summary: 'This document',
      tag: 'operations',
      access: 'public',
      responses: { 200: { description: 'the OpenAPI 3.1 document', schema: OpenApiDocument } },
      handle: async () => ({ status: 200, body: openApiDocument as never }),
    }),
  ];
  openApiDocument = buildOpenApiDocument([...KIT_ROUTES, ...routes]);

  const parseJson = express.json({ limit: deps.maxBodyBytes, strict: true, inflate: false, type: 'application/json' });
  const readJsonBody = async (req: Request, res: Response): Promise<unknown> => {
    if (!req.is('application/json')) {
      throw new HttpOnlyError('UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json');
    }
    await new Promise<void>((resolve, reject) => {
      parseJson(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
    });
    return req.body;
  };

  for (const route of routes) {
    app[route.method](route.path, async (req: Request, res: Response) => {
      if (route.noStore) res.setHeader('Cache-Control', 'no-store');
      let principal: Principal | undefined;
      let bearerToken: string | undefined;
      if (route.access !== 'public') {
        try {
          ({ principal, token: bearerToken } = await authenticate(req.header('authorization'), deps.tokens));
        } catch (error) {
          res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
          throw error;
        }
        // Fast refusal before reading the body; the peer checks again with the forwarded token.
        if (route.access === 'admin') assertAdmin(principal);
      }
      const body = route.body ? await readJsonBody(req, res) : undefined;
      const reply = await route.handle({
        params: req.params,
        query: req.query,
        headers: declaredHeaders(req, route),
        body,
        principal,
        call: { requestId: req.id, bearerToken },
      });
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      res.status(reply.status).json(reply.body);
    });
  }

  app.use(() => {
    throw new NotFoundError('route');
  });

  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const reply = toErrorReply(error);
    if (reply.log === 'unexpected') {
      // Name, message and stack only: some errors carry the request body (body-parser's `body`), never logged.
      const err = error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : {};
      req.log.error({ err }, 'unexpected error');
    } else if (reply.log === 'upstream' && error instanceof UpstreamError) {
      req.log.warn({ peer: error.peer, rpc: error.rpc, grpcCode: reply.body.error.code }, 'upstream call failed');
    } else if (reply.log === 'upstream' && error instanceof ApiError) {
      req.log.warn({ code: error.code, orderId: error.details.orderId }, 'order failed behind the gateway');
    }
    res.status(reply.status).json(reply.body);
  });

  return app;
}
