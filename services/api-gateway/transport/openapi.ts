import { z } from 'zod';
import type { RouteDoc } from './route';
import { ErrorBody } from './schemas';

export type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1); a schema JSON cannot express is an error. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'throw',
  }) as JsonSchema;
  return rest;
}

/** Express `/users/:id` -> OpenAPI `/users/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** The error statuses a route can answer, implied by its inputs, access and peers, plus its own. */
export function errorStatusesOf(route: RouteDoc): Record<number, string> {
  const errors: Record<number, string> = {};
  if (route.params || route.query || route.headers || route.body) {
    errors[400] =
      'INVALID_ARGUMENT: a malformed parameter or header, a body that is not JSON, a wrong type, a missing or unknown field; `field` names it';
  }
  if (route.body) {
    errors[413] = 'PAYLOAD_TOO_LARGE: the body exceeds the configured limit';
    errors[415] = 'UNSUPPORTED_MEDIA_TYPE: the body is not `application/json` (UTF-8, no Content-Encoding)';
  }
  if (route.access !== 'public') {
    errors[401] = 'UNAUTHENTICATED: no Bearer access token, or one that is malformed, expired or not ours';
  }
  if (route.access === 'admin') errors[403] = 'PERMISSION_DENIED: the caller is not an admin';
  if (route.callsUpstream) {
    errors[503] = 'UNAVAILABLE: a service this request needs does not answer';
    errors[504] = 'DEADLINE_EXCEEDED: a service this request needs did not answer in time';
  }
  errors[500] = 'INTERNAL: an unexpected failure; it is logged, its details are never returned';
  return { ...errors, ...route.errors };
}

function parametersOf(schema: z.ZodObject | undefined, where: 'path' | 'query' | 'header'): JsonSchema[] {
  if (!schema) return [];
  const json = jsonSchemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, parameterSchema]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: parameterSchema,
  }));
}

function operationOf(route: RouteDoc): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.headers && {
        headers: Object.fromEntries(
          Object.entries(response.headers).map(([name, description]) => [
            name,
            { description, required: true, schema: { type: 'string' } },
          ]),
        ),
      }),
      content: { [response.contentType ?? 'application/json']: { schema: jsonSchemaOf(response.schema, 'output') } },
    };
  }
  for (const [status, description] of Object.entries(errorStatusesOf(route))) {
    responses[status] = { description, content: { 'application/json': { schema: ERROR_REF } } };
  }
  if (route.callsUpstream) {
    responses.default = {
      description: 'any other status a peer answers, mapped from its gRPC status (e.g. 429 RESOURCE_EXHAUSTED)',
      content: { 'application/json': { schema: ERROR_REF } },
    };
  }
  const parameters = [
    ...parametersOf(route.params, 'path'),
    ...parametersOf(route.query, 'query'),
    ...parametersOf(route.headers, 'header'),
  ];
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: route.access === 'public' ? [] : [{ bearerAuth: [] }],
    ...(parameters.length > 0 && { parameters }),
    ...(route.body && {
      requestBody: {
        required: true,
        content: { 'application/json': { schema: jsonSchemaOf(route.body, 'input') } },
      },
    }),
    responses,
  };
}

/** The OpenAPI 3.1 document of `routes`, generated from the zod schemas the routes validate and answer with. */
export function buildOpenApiDocument(routes: readonly RouteDoc[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    const item = paths[path];
    if (item[route.method]) throw new Error(`two routes for ${route.method.toUpperCase()} ${route.path}`);
    item[route.method] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shopfront API',
      version: '1.0.0',
      description:
        'The public REST API of the Shopfront platform (api-gateway). JSON in camelCase; every error is `{error: {code, message, field?, orderId?, declineCode?}}`: `code` is a gRPC status name, or for the order routes why an order failed (`PAYMENT_DECLINED`, `OUT_OF_STOCK`, ...) or `IDEMPOTENCY_KEY_REUSED`. Codes and optional members may be added; treat an unknown code by its HTTP status.',
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: jsonSchemaOf(ErrorBody, 'output') },
    },
  };
}
