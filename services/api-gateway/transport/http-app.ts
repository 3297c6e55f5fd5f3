import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express, NextFunction, Request, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import type { TokenVerifier } from '../../../lib/runtime/auth';
import { InvalidArgumentError, NotFoundError } from '../../../lib/runtime/errors';
import type { Health } from '../../../lib/runtime/health';
import { createHttpApp, runBeforeKitRoutes } from '../../../lib/runtime/http';
import type { Logger } from '../../../lib/runtime/logger';
import type { ServiceMetrics } from '../../../lib/runtime/metrics';
import type { AnalyticsWindowsSource } from '../adapters/analytics-windows';
import type { ProductsUpstream } from '../adapters/catalogue';
import type { OrderServicePeer, UserServicePeer } from '../adapters/peers';
import { UpstreamError } from '../adapters/peers';
import { assertAdmin, type Principal } from '../domain/access';
import { authenticate } from './auth';
import { ApiError, HttpOnlyError, toErrorReply } from './errors';
import { buildOpenApiDocument, type JsonSchema } from './openapi';
import { defineRoute, type Route, type RouteDoc } from './route';
import { gatewayRoutes } from './routes';
import { type ApiErrorCode, Liveness, MetricsText, OpenApiDocument, Readiness } from './schemas';

export interface GatewayAppDeps {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly health: Health;
  readonly users: UserServicePeer;
  readonly products: ProductsUpstream;
  readonly orders: OrderServicePeer;
  readonly analyticsWindows: AnalyticsWindowsSource;
  readonly tokens: TokenVerifier;
  readonly maxBodyBytes: number;
}

/** How soon a client may try again after a 503 (`Retry-After`, seconds). */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;
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
    summary: 'Prometheus metrics, with trace exemplars',
    tag: 'operations',
    access: 'public',
    responses: {
      200: { description: 'metrics', schema: MetricsText, contentType: 'application/openmetrics-text' },
    },
  },
];

const WWW_AUTHENTICATE = 'Bearer realm="shopfront"';

const HELMET_OPTIONS: HelmetOptions = {
  // An API returns JSON, never documents to render: nothing may load, nothing may frame it.
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
};

/** The headers helmet sets, captured once, for the answers node's HTTP server writes without express. */
function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
    removeHeader: () => undefined,
  };
  helmet(HELMET_OPTIONS)({} as IncomingMessage, res as never, () => undefined);
  return headers;
}

/**
 * A JSON body of at most `maxBytes`, in UTF-8 without Content-Encoding (else 415). Too large is answered at once,
 * from the declared Content-Length or as soon as a chunked body passes the limit, never after reading the rest:
 * the connection is closed instead (`Connection: close`), so a client cannot hold the gateway to a huge upload.
 */
async function readJsonBody(req: Request, res: Response, maxBytes: number): Promise<unknown> {
  if (!req.is('application/json')) {
    throw new HttpOnlyError('UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json');
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.header('content-type') ?? '')?.[1];
  const encoding = (req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if ((charset !== undefined && !/^utf-?8$/i.test(charset)) || encoding !== 'identity') {
    throw new HttpOnlyError(
      'UNSUPPORTED_MEDIA_TYPE',
      'the request body must be JSON in UTF-8, without Content-Encoding',
    );
  }
  const tooLarge = () => {
    res.setHeader('Connection', 'close');
    return new HttpOnlyError('PAYLOAD_TOO_LARGE', 'the request body is too large');
  };
  if (Number(req.header('content-length') ?? 0) > maxBytes) throw tooLarge();
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error?: Error) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) settle(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => settle();
    const onError = () => settle(new InvalidArgumentError('', 'the request body was not received completely'));
    const onClose = () => {
      if (!req.complete) onError();
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
  try {
    // TextDecoder drops a leading byte order mark and replaces invalid UTF-8, as body-parser did.
    return JSON.parse(new TextDecoder('utf-8').decode(bytes));
  } catch {
    throw new InvalidArgumentError('', 'the request body is not valid JSON');
  }
}

/**
 * What node's HTTP server answers by itself gets the gateway's answer instead: `{error: {code, message}}` with the
 * security headers. A request node cannot parse (a CR or NUL in a header, two Content-Lengths, a bad request line)
 * is 400, headers over node's limit 431, a request not received within the server's headers or request timeout
 * (a slow client) 408; CONNECT, which node hands to no route, is 404 like every other method the API does not have.
 * The connection is closed after each. Call once on the server that serves the gateway's app.
 */
export function answerMalformedRequests(server: Server): void {
  const headers = securityHeaders();
  const answer = (socket: Duplex, status: number, code: ApiErrorCode, message: string) => {
    const body = JSON.stringify({ error: { code, message } });
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Cache-Control: no-store',
      'Connection: close',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
    // A client that does not read its answer does not keep the socket.
    setTimeout(() => socket.destroy(), 5_000).unref();
  };
  // The Host check of HTTP/1.1 moves into the app (`requireHost`), which answers it like every other 400.
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As node's own handler: answer only when no answer has begun on this connection.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || inFlight?.headersSent || error.code === 'ECONNRESET' || error.code === 'EPIPE') {
      socket.destroy();
      return;
    }
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      answer(socket, 408, 'REQUEST_TIMEOUT', 'the request was not received in time');
    } else if (error.code === 'HPE_HEADER_OVERFLOW') {
      answer(socket, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'the request headers are too large');
    } else if (error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
      answer(socket, 413, 'PAYLOAD_TOO_LARGE', 'the chunk extensions are too large');
    } else {
      answer(socket, 400, 'INVALID_ARGUMENT', 'malformed HTTP request');
    }
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    answer(socket, 404, 'NOT_FOUND', 'route not found');
  });
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
  app.use(helmet(HELMET_OPTIONS));
  runBeforeKitRoutes(app);
  // HTTP/1.1 requires Host (RFC 9112, section 3.2); answered here rather than by node, so it has the error body.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      next(new InvalidArgumentError('Host', 'an HTTP/1.1 request must have a Host header'));
      return;
    }
    next();
  });
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

  const representations = new WeakMap<object, { readonly json: Buffer; readonly etag: string }>();
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
      const body = route.body ? await readJsonBody(req, res, deps.maxBodyBytes) : undefined;
      const reply = await route.handle({
        params: req.params,
        query: req.query,
        headers: declaredHeaders(req, route),
        body,
        principal,
        call: { requestId: req.id, bearerToken },
      });
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      if (reply.immutable && typeof reply.body === 'object' && reply.body !== null) {
        // What res.json would send, with the ETag Express would compute, both made once per body object;
        // Express still answers a matching If-None-Match with 304.
        let made = representations.get(reply.body);
        if (!made) {
          const json = Buffer.from(JSON.stringify(reply.body), 'utf8');
          made = { json, etag: (app.get('etag fn') as (body: Buffer) => string)(json) };
          representations.set(reply.body, made);
        }
        res.setHeader('ETag', made.etag);
        res.type('json').status(reply.status).send(made.json);
        return;
      }
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
    // A body left unread (refused before reading it) is not drained: the connection closes after the answer.
    if (!req.complete) res.setHeader('Connection', 'close');
    if (reply.log === 'unexpected') {
      // Name, message and stack only: some errors carry the request body (body-parser's `body`), never logged.
      const err = error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : {};
      req.log.error({ err }, 'unexpected error');
    } else if (reply.log === 'upstream' && error instanceof UpstreamError) {
      req.log.warn({ peer: error.peer, rpc: error.rpc, grpcCode: reply.body.error.code }, 'upstream call failed');
    } else if (reply.log === 'upstream' && error instanceof ApiError) {
      req.log.warn({ code: error.code, orderId: error.details.orderId }, 'order failed behind the gateway');
    }
    // A service that is unavailable or at capacity: the client may try again shortly.
    if (reply.status === 503) res.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    res.status(reply.status).json(reply.body);
  });

  return app;
}
