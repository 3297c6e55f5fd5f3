import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { shop } from '../lib/platform';
import { grpcCodeName, HTTP_STATUS_OF_GRPC } from '../lib/runtime/status';
import { tracingConfigShape } from '../lib/runtime/tracing';
import { configShape as analytics } from '../services/analytics/config';
import { configShape as apiGateway } from '../services/api-gateway/config';
import { HttpOnlyError } from '../services/api-gateway/transport/errors';
import { ORDER_FAILURES, PAYMENT_TOKEN_REFUSED } from '../services/api-gateway/transport/orders';
import { ERROR_CODES } from '../services/api-gateway/transport/schemas';
import { localPlatformConfigShape } from '../services/local-preflight';
import { lambdaEnvSchema } from '../services/notification-lambda/config';
import { localConfigShape as notificationLambda } from '../services/notification-lambda/local-config';
import { configShape as orderService } from '../services/order-service/config';
import { configShape as paymentService } from '../services/payment-service/config';
import { configShape as productService } from '../services/product-service/config';
import { configShape as storefront } from '../services/storefront/config';
import { configShape as userService } from '../services/user-service/config';

// The README's reference sections, held to the code they describe.
const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

/** The rows of the first table after `heading`, as trimmed cells (header and rule left out). */
function tableAfter(heading: string): string[][] {
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`the README has no heading '${heading}'`);
  const lines = README.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** `` `a`, `b` `` -> ['a', 'b']. */
const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');

describe('the README configuration reference', () => {
  /** Every reader of the environment: npm start itself and each service's schema (two for the notifier). */
  const READERS: Readonly<Record<string, z.ZodRawShape>> = {
    'npm start': localPlatformConfigShape,
    'api-gateway': apiGateway,
    storefront,
    'user-service': userService,
    'product-service': productService,
    'payment-service': paymentService,
    'order-service': orderService,
    analytics,
    'notification-lambda': notificationLambda,
    'notification-lambda on AWS': lambdaEnvSchema.shape,
    // The service kit's tracing, configured by the host for every service and by the Lambda's handler.
    'every service': tracingConfigShape,
  };

  /** What the README must say of a variable's default: `value`, '—' (optional, no default) or 'required'. */
  const defaultOf = (schema: z.ZodType): string => {
    const parsed = schema.safeParse(undefined);
    if (!parsed.success) return 'required';
    return parsed.data === undefined ? '—' : String(parsed.data);
  };

  /** variable -> reader -> the default that reader's schema gives it. */
  const read = new Map<string, Map<string, string>>();
  for (const [reader, shape] of Object.entries(READERS)) {
    for (const [variable, schema] of Object.entries(shape)) {
      const readers = read.get(variable) ?? new Map<string, string>();
      readers.set(reader, defaultOf(schema as z.ZodType));
      read.set(variable, readers);
    }
  }

  /** variable -> its row: who reads it and the default cell. A row may name several variables. */
  const documented = new Map<string, { readers: string[]; defaults: string }>();
  for (const [variables = '', readers = '', defaults = ''] of tableAfter('## Configuration')) {
    for (const variable of codeSpans(variables)) documented.set(variable, { readers: codeSpans(readers), defaults });
  }

  it('knows a schema for every service of the catalog', () => {
    for (const service of shop.catalog.services) expect(Object.keys(READERS)).toContain(service.name);
  });

  it('documents every variable a schema reads, and none that no schema reads', () => {
    expect([...documented.keys()].sort()).toEqual([...read.keys()].sort());
  });

  it.each([...read.keys()])('names exactly the readers of %s', (variable) => {
    expect(documented.get(variable)?.readers.sort()).toEqual([...(read.get(variable)?.keys() ?? [])].sort());
  });

  it.each([...read.keys()])('gives the default of %s that its schemas give', (variable) => {
    const cell = documented.get(variable)?.defaults ?? '';
    for (const value of new Set(read.get(variable)?.values())) {
      if (value === 'required' || value === '—') expect(cell).toBe(value);
      else expect(codeSpans(cell)).toContain(value);
    }
  });
});

describe('the README error answers', () => {
  /** code -> the HTTP statuses the gateway answers it with. */
  const answered = new Map<string, Set<number>>();
  const add = (code: string, status: number) => answered.set(code, (answered.get(code) ?? new Set()).add(status));
  for (const [grpcCode, status] of Object.entries(HTTP_STATUS_OF_GRPC)) {
    if (Number(grpcCode) !== 0) add(grpcCodeName(Number(grpcCode)), status);
  }
  for (const [code, status] of Object.entries(HttpOnlyError.STATUS)) add(code, status);
  for (const [code, answer] of Object.entries(ORDER_FAILURES)) add(code, answer.status);
  add('PAYMENT_FAILED', PAYMENT_TOKEN_REFUSED.status);
  add('IDEMPOTENCY_KEY_REUSED', 422);

  const documented = new Map<string, Set<number>>();
  for (const [status = '', codes = ''] of tableAfter('### Error answers')) {
    for (const code of codeSpans(codes)) documented.set(code, (documented.get(code) ?? new Set()).add(Number(status)));
  }

  it('lists every code of the API, and only those', () => {
    expect([...documented.keys()].sort()).toEqual([...ERROR_CODES].sort());
    expect([...answered.keys()].sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each([...ERROR_CODES])('gives %s the statuses the gateway answers it with', (code) => {
    expect([...(documented.get(code) ?? [])].sort()).toEqual([...(answered.get(code) ?? [])].sort());
  });

  it('says Idempotency-Key is required on POST /api/v1/orders', () => {
    expect(README).toContain('**`Idempotency-Key` is required** on `POST /api/v1/orders`');
  });

  it('takes the user id from the login answer, never from decoding the token', () => {
    expect(README).toContain(".user.id')");
    expect(README).not.toMatch(/split\('\.'\)\[1\]|base64url/);
  });
});
