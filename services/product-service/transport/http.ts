import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { DomainError, InvalidArgumentError, isDatabaseUnavailable } from '../../../lib/runtime/errors';
import type { Health } from '../../../lib/runtime/health';
import { createHttpApp } from '../../../lib/runtime/http';
import type { Logger } from '../../../lib/runtime/logger';
import type { ServiceMetrics } from '../../../lib/runtime/metrics';
import { GRPC_STATUS, HTTP_STATUS_OF_GRPC } from '../../../lib/runtime/status';
import type { ProductCatalog } from '../domain/catalog';
import type { Product } from '../domain/product';

export const BODY_LIMIT = '16kb';

/** The JSON shape of a product (camelCase, money as integer minor units). */
export interface ProductJson {
  id: string;
  name: string;
  description: string;
  price: { amount: number; currency: string };
  stock: number;
  createdAt: string;
}

export function productJson(product: Product): ProductJson {
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    price: { amount: product.price.amount, currency: product.price.currency },
    stock: product.stock,
    createdAt: product.createdAt,
  };
}

export interface ErrorBody {
  error: { code: string; message: string; field?: string; reason?: string };
}

/** `Authorization: Bearer <token>` -> the token; anything else -> undefined (then UNAUTHENTICATED). */
export function bearerTokenOf(header: string | undefined): string | undefined {
  return header ? /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header)?.[1] : undefined;
}

function singleQueryValue(value: unknown, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(field, `'${field}' must be given once`);
  return value;
}

function queryLimit(value: unknown): number | undefined {
  const text = singleQueryValue(value, 'limit');
  if (text === undefined) return undefined;
  if (!/^-?\d{1,9}$/.test(text)) throw new InvalidArgumentError('limit', "'limit' must be an integer from 1 to 100");
  return Number(text);
}

const BODY_PARSER_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'INVALID_ARGUMENT', message: 'request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'PAYLOAD_TOO_LARGE', message: `request body is larger than ${BODY_LIMIT}` },
  'encoding.unsupported': { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported content encoding' },
  'charset.unsupported': { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'request body must be UTF-8 JSON' },
};

/**
 * One mapping from anything a route throws to a status and `{error: {code, message, field?}}`: domain
 * errors through the kit's gRPC status and its HTTP mapping; the body parser's and router's 4xx as
 * themselves; anything else a 500 with no detail (logged with the request id).
 */
export function httpErrorOf(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof DomainError) {
    const status = HTTP_STATUS_OF_GRPC[GRPC_STATUS[error.code]] ?? 500;
    if (status >= 500) return { status, body: { error: { code: error.code, message: 'internal error' } } };
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.field) body.error.field = error.field;
    if (error.reason) body.error.reason = error.reason;
    return { status, body };
  }
  if (typeof error === 'object' && error !== null) {
    const { type, status } = error as { type?: unknown; status?: unknown };
    const known = typeof type === 'string' ? BODY_PARSER_ERRORS[type] : undefined;
    if (known) return { status: known.status, body: { error: { code: known.code, message: known.message } } };
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status, body: { error: { code: 'INVALID_ARGUMENT', message: 'bad request' } } };
    }
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'database unavailable; try again' } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
}

export interface ProductHttpOptions {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly health: Health;
  readonly catalog: ProductCatalog;
}

/** The kit's app (/livez, /readyz, /metrics, request ids, RED metrics) plus the product routes. */
export function createProductHttpApp(options: ProductHttpOptions): Express {
  const { catalog } = options;
  const app = createHttpApp(options);
  app.use(helmet());

  // Routes on the app itself (no Router), so the kit's metrics label every response, errors included,
  // with the full route template.
  app.get('/api/v1/products', async (req, res) => {
    const page = await catalog.listProducts({
      limit: queryLimit(req.query.limit),
      cursor: singleQueryValue(req.query.cursor, 'cursor'),
    });
    res.json({ items: page.items.map(productJson), nextCursor: page.nextCursor ?? null });
  });

  app.get('/api/v1/products/:id', async (req, res) => {
    res.json(productJson(await catalog.getProduct(req.params.id)));
  });

  const jsonBody = [
    (req: Request, res: Response, next: NextFunction) => {
      // req.is() is null for a request without a body; the domain then answers 400 for the missing fields.
      if (req.is('application/json') === false) {
        res.status(415).json({
          error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json' },
        } satisfies ErrorBody);
        return;
      }
      next();
    },
    express.json({ limit: BODY_LIMIT }),
  ];

  app.patch('/api/v1/products/:id', ...jsonBody, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const product = await catalog.updateProduct(bearerTokenOf(req.header('authorization')), id, req.body);
    req.log.info({ productId: product.id }, 'product changed');
    res.json(productJson(product));
  });

  app.post('/api/v1/products', ...jsonBody, async (req, res) => {
    const product = await catalog.createProduct(bearerTokenOf(req.header('authorization')), req.body);
    req.log.info({ productId: product.id }, 'product created');
    res.status(201).location(`/api/v1/products/${product.id}`).json(productJson(product));
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such route' } } satisfies ErrorBody);
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = httpErrorOf(error);
    if (status >= 500) (req.log ?? options.logger).error({ err: error }, 'unexpected error');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(status).json(body);
  });

  return app;
}
