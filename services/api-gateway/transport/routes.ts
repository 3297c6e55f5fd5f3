import type { Health } from '../../../lib/runtime/health';
import { assertMayReadUser } from '../domain/access';
import type { ProductServicePeer, UserServicePeer } from '../upstream/peers';
import { productOf, userOf } from './representations';
import { defineRoute, type Route } from './route';
import {
  GatewayHealth,
  IdParams,
  LoginBody,
  LoginResult,
  NewProductBody,
  ProductListQuery,
  ProductPage,
  ProductView,
  RegisterBody,
  RegisteredUser,
  UserAccount,
} from './schemas';

export interface RouteDeps {
  readonly users: UserServicePeer;
  readonly products: ProductServicePeer;
  readonly health: Health;
}

export const userLocation = (id: string) => `/api/v1/users/${id}`;
export const productLocation = (id: string) => `/api/v1/products/${id}`;

/** The gateway's own routes (the kit adds /livez, /readyz and /metrics; the app adds the OpenAPI document). */
export function gatewayRoutes(deps: RouteDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/register',
      operationId: 'register',
      summary: 'Create a customer account',
      tag: 'auth',
      access: 'public',
      noStore: true,
      callsUpstream: true,
      body: RegisterBody,
      responses: {
        201: { description: 'the account', schema: RegisteredUser, headers: { Location: 'the account' } },
      },
      errors: { 409: 'ALREADY_EXISTS: an account with this email exists' },
      handle: async ({ body, call }) => {
        const { user } = await deps.users.register(body, call);
        const { id, email, name } = userOf(user);
        return { status: 201, body: { id, email, name }, headers: { Location: userLocation(id) } };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/api/v1/auth/login',
      operationId: 'login',
      summary: 'Exchange email and password for an access token',
      tag: 'auth',
      access: 'public',
      noStore: true,
      callsUpstream: true,
      body: LoginBody,
      responses: { 200: { description: 'a Bearer access token and its user', schema: LoginResult } },
      errors: { 401: 'UNAUTHENTICATED: the email or the password is wrong (never says which)' },
      handle: async ({ body, call }) => {
        const result = await deps.users.authenticate(body, call);
        const { id, email, name, role } = userOf(result.user);
        return {
          status: 200,
          body: {
            accessToken: result.accessToken,
            tokenType: 'Bearer' as const,
            expiresIn: result.expiresInSeconds,
            user: { id, email, name, role },
          },
        };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/api/v1/users/:id',
      operationId: 'getUser',
      summary: 'Read an account: your own, or any as an admin',
      tag: 'users',
      access: 'bearer',
      noStore: true,
      callsUpstream: true,
      params: IdParams,
      responses: { 200: { description: 'the account', schema: UserAccount } },
      errors: {
        403: "PERMISSION_DENIED: a customer asked for someone else's account",
        404: 'NOT_FOUND: no account has this id',
      },
      handle: async ({ params, principal, call }) => {
        assertMayReadUser(principal, params.id);
        const { user } = await deps.users.getUser({ id: params.id }, call);
        return { status: 200, body: userOf(user) };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/api/v1/products',
      operationId: 'listProducts',
      summary: 'A page of the catalogue, oldest first',
      tag: 'products',
      access: 'public',
      callsUpstream: true,
      query: ProductListQuery,
      responses: { 200: { description: 'a page of products', schema: ProductPage } },
      handle: async ({ query, call }) => {
        const page = await deps.products.listProducts({ limit: query.limit, cursor: query.cursor ?? '' }, call);
        return {
          status: 200,
          body: { items: page.items.map(productOf), nextCursor: page.nextCursor === '' ? null : page.nextCursor },
        };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/api/v1/products/:id',
      operationId: 'getProduct',
      summary: 'One product',
      tag: 'products',
      access: 'public',
      callsUpstream: true,
      params: IdParams,
      responses: { 200: { description: 'the product', schema: ProductView } },
      errors: { 404: 'NOT_FOUND: no product has this id' },
      handle: async ({ params, call }) => {
        return { status: 200, body: productOf(await deps.products.getProduct({ id: params.id }, call)) };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/api/v1/products',
      operationId: 'createProduct',
      summary: 'Add a product to the catalogue (admin)',
      tag: 'products',
      access: 'admin',
      callsUpstream: true,
      body: NewProductBody,
      responses: {
        201: { description: 'the product', schema: ProductView, headers: { Location: 'the product' } },
      },
      handle: async ({ body, call }) => {
        const product = productOf(await deps.products.createProduct(body, call));
        return { status: 201, body: product, headers: { Location: productLocation(product.id) } };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/health',
      operationId: 'health',
      summary: 'Whether user-service and product-service answer grpc.health.v1 SERVING',
      tag: 'operations',
      access: 'public',
      noStore: true,
      responses: {
        200: { description: 'both peers are serving', schema: GatewayHealth },
        503: { description: 'a peer is not serving, or the gateway is shutting down', schema: GatewayHealth },
      },
      handle: async () => {
        const report = await deps.health.report();
        return report.ready
          ? { status: 200, body: { status: 'ok' as const, checks: report.checks } }
          : { status: 503, body: { status: 'unavailable' as const, checks: report.checks } };
      },
    }),
  ];
}
