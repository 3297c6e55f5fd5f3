import type { z } from 'zod';
import type { CallContext } from '../adapters/peers';
import type { Principal } from '../domain/access';
import { invalidArgumentOf } from './errors';

/** Who may call a route: anyone, any holder of a valid access token, or an admin. */
export type Access = 'public' | 'bearer' | 'admin';
export type HttpMethod = 'get' | 'post' | 'patch';

export interface ResponseDoc {
  readonly description: string;
  readonly schema: z.ZodType;
  /** @default 'application/json' */
  readonly contentType?: string;
  /** Headers the response carries: name -> meaning. */
  readonly headers?: Readonly<Record<string, string>>;
}

export type ResponseDocs = Readonly<Record<number, ResponseDoc>>;

/** What the OpenAPI document says about a route; the same values drive its validation. */
export interface RouteDoc {
  readonly method: HttpMethod;
  /** Express syntax (`/api/v1/users/:id`). */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** Request headers the route reads, by their canonical names (`Idempotency-Key`); validated like the rest. */
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Success (and non-error) responses by status. */
  readonly responses: ResponseDocs;
  /** Error statuses beyond those its inputs, access and peers imply: status -> when. */
  readonly errors?: Readonly<Record<number, string>>;
  /** The route calls peers, so their failures reach the caller (503, 504 and any status they map to). */
  readonly callsUpstream?: boolean;
  /** `Cache-Control: no-store` on every answer (credentials, personal data, live state). */
  readonly noStore?: boolean;
}

/** A request as the HTTP layer hands it over: authenticated when the route needs it, inputs not yet validated. */
export interface RawInput {
  readonly params: unknown;
  readonly query: unknown;
  /** The values of the headers the route declares, by their declared names (absent ones left out). */
  readonly headers: unknown;
  readonly body: unknown;
  readonly principal: Principal | undefined;
  readonly call: CallContext;
}

export interface RouteReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The body is an object never changed after it was made and handed out again for as long as it is current (a
   * cached catalogue page): its JSON and ETag are made once per object instead of once per request.
   */
  readonly immutable?: boolean;
}

export interface Route extends RouteDoc {
  handle(input: RawInput): Promise<RouteReply>;
}

/** A reply whose status is one the route documents and whose body is that response's schema type. */
type Reply<R extends ResponseDocs> = {
  [S in keyof R & number]: { status: S; body: z.output<R[S]['schema']>; headers?: Record<string, string> };
}[keyof R & number];

interface Input<A extends Access, P extends z.ZodType, Q extends z.ZodType, H extends z.ZodType, B extends z.ZodType> {
  readonly params: z.output<P>;
  readonly query: z.output<Q>;
  readonly headers: z.output<H>;
  readonly body: z.output<B>;
  readonly principal: A extends 'public' ? undefined : Principal;
  readonly call: CallContext;
}

export interface RouteSpec<
  A extends Access,
  P extends z.ZodObject,
  Q extends z.ZodObject,
  H extends z.ZodObject,
  B extends z.ZodType,
  R extends ResponseDocs,
> extends Omit<RouteDoc, 'access' | 'params' | 'query' | 'headers' | 'body' | 'responses'> {
  readonly access: A;
  readonly params?: P;
  readonly query?: Q;
  readonly headers?: H;
  readonly body?: B;
  readonly responses: R;
  handle(input: Input<A, P, Q, H, B>): Promise<Reply<NoInfer<R>>>;
}

function parse<S extends z.ZodType>(schema: S | undefined, value: unknown): z.output<S> | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw invalidArgumentOf(result.error);
  return result.data;
}

/**
 * A route whose handler sees validated, typed inputs (path, then query, then headers, then body, each with the
 * schema the OpenAPI document shows) and can only answer a documented status with that status's body type.
 */
export function defineRoute<
  A extends Access,
  P extends z.ZodObject,
  Q extends z.ZodObject,
  H extends z.ZodObject,
  B extends z.ZodType,
  R extends ResponseDocs,
>(spec: RouteSpec<A, P, Q, H, B, R>): Route {
  return {
    ...spec,
    handle: async (raw) => {
      if (spec.access !== 'public' && !raw.principal) {
        throw new Error(`${spec.operationId} needs a principal; the HTTP layer must authenticate first`);
      }
      const params = parse(spec.params, raw.params) as z.output<P>;
      const query = parse(spec.query, raw.query) as z.output<Q>;
      const headers = parse(spec.headers, raw.headers) as z.output<H>;
      const body = parse(spec.body, raw.body) as z.output<B>;
      const principal = raw.principal as Input<A, P, Q, H, B>['principal'];
      return spec.handle({ params, query, headers, body, principal, call: raw.call });
    },
  };
}
