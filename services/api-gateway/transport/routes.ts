import type { Health } from '../../../lib/runtime/health';
import type { AnalyticsWindowsSource } from '../adapters/analytics-windows';
import type { ProductsUpstream } from '../adapters/catalogue';
import type { OrderServicePeer, UserServicePeer } from '../adapters/peers';
import { assertMayReadUser } from '../domain/access';
import { analyticsRoutes } from './analytics';
import { createOrderErrorDocs, idempotencyKeyReusedOr, placedOrderReply } from './orders';
import { orderOf, pageOf, productOf, productPageOf, userOf } from './representations';
import { defineRoute, type Route } from './route';
import {
  AllOrdersPage,
  CreateOrderBody,
  GatewayHealth,
  IdempotencyKeyHeaders,
  IdParams,
  LoginBody,
  LoginResult,
  NewProductBody,
  OrderPage,
  OrderView,
  PageQuery,
  ProductChangeBody,
  ProductPage,
  ProductView,
  RegisterBody,
  RegisteredUser,
  UserAccount,
} from './schemas';

export interface RouteDeps {
  readonly users: UserServicePeer;
  readonly products: ProductsUpstream;
  readonly orders: OrderServicePeer;
  readonly health: Health;
  readonly analyticsWindows: AnalyticsWindowsSource;
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
      query: PageQuery,
      responses: { 200: { description: 'a page of products', schema: ProductPage } },
      handle: async ({ query, call }) => {
        const page = await deps.products.listProducts({ limit: query.limit, cursor: query.cursor ?? '' }, call);
        return { status: 200, body: pageOf(page), immutable: true };
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
        return {
          status: 200,
          body: productPageOf(await deps.products.getProduct({ id: params.id }, call)),
          immutable: true,
        };
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
      method: 'patch',
      path: '/api/v1/products/:id',
      operationId: 'updateProduct',
      summary:
        'Change a product (admin): set its price and/or adjust its stock by stockDelta, atomically against concurrent orders',
      tag: 'products',
      access: 'admin',
      noStore: true,
      callsUpstream: true,
      params: IdParams,
      body: ProductChangeBody,
      responses: { 200: { description: 'the product as changed', schema: ProductView } },
      errors: {
        400: 'INVALID_ARGUMENT naming the field, or FAILED_PRECONDITION on `stockDelta` when the stock would fall below 0 or rise above 1000000 (nothing is changed)',
        404: 'NOT_FOUND: no product has this id',
      },
      handle: async ({ params, body, call }) => {
        const product = await deps.products.updateProduct(
          { id: params.id, price: body.price, stockDelta: body.stockDelta },
          call,
        );
        return { status: 200, body: productOf(product) };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/api/v1/orders',
      operationId: 'createOrder',
      summary: 'Place an order: reserve the stock and charge the payment token, at most once per Idempotency-Key',
      tag: 'orders',
      access: 'bearer',
      noStore: true,
      callsUpstream: true,
      headers: IdempotencyKeyHeaders,
      body: CreateOrderBody,
      responses: {
        201: {
          description:
            'the order is CONFIRMED (stock reserved, payment taken). A repeated request with the same Idempotency-Key answers 201 again with the same order and Location, never a second order',
          schema: OrderView,
          headers: { Location: 'the order' },
        },
        202: {
          description:
            'the order is still PENDING (another replica is placing it): poll its Location, or repeat the request with the same Idempotency-Key',
          schema: OrderView,
          headers: { Location: 'the order', 'Retry-After': 'seconds to wait before polling' },
        },
      },
      errors: createOrderErrorDocs(),
      handle: async ({ headers, body, call }) => {
        const order = await deps.orders
          .createOrder(
            { idempotencyKey: headers['Idempotency-Key'], items: body.items, paymentToken: body.paymentToken },
            call,
          )
          .catch((error: unknown) => {
            throw idempotencyKeyReusedOr(error);
          });
        return placedOrderReply(order);
      },
    }),

    defineRoute({
      method: 'get',
      path: '/api/v1/orders',
      operationId: 'listOrders',
      summary: "A page of the caller's orders, newest first",
      tag: 'orders',
      access: 'bearer',
      noStore: true,
      callsUpstream: true,
      query: PageQuery,
      responses: { 200: { description: "a page of the caller's orders", schema: OrderPage } },
      handle: async ({ query, call }) => {
        const page = await deps.orders.listOrders({ limit: query.limit, cursor: query.cursor ?? '' }, call);
        return {
          status: 200,
          body: { items: page.items.map(orderOf), nextCursor: page.nextCursor === '' ? null : page.nextCursor },
        };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/api/v1/orders/:id',
      operationId: 'getOrder',
      summary: 'One order: your own, or any as an admin',
      tag: 'orders',
      access: 'bearer',
      noStore: true,
      callsUpstream: true,
      params: IdParams,
      responses: { 200: { description: 'the order', schema: OrderView } },
      errors: {
        404: "NOT_FOUND: no order has this id, or it is someone else's (whether it exists is not revealed)",
      },
      handle: async ({ params, call }) => {
        return { status: 200, body: orderOf(await deps.orders.getOrder({ id: params.id }, call)) };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/api/v1/admin/orders',
      operationId: 'listAllOrders',
      summary: "A page of every customer's orders, newest first, each in its current state (admin)",
      tag: 'orders',
      access: 'admin',
      noStore: true,
      callsUpstream: true,
      query: PageQuery,
      responses: { 200: { description: "a page of every customer's orders", schema: AllOrdersPage } },
      handle: async ({ query, call }) => {
        const page = await deps.orders.listAllOrders({ limit: query.limit, cursor: query.cursor ?? '' }, call);
        return {
          status: 200,
          body: { items: page.items.map(orderOf), nextCursor: page.nextCursor === '' ? null : page.nextCursor },
        };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/health',
      operationId: 'health',
      summary: 'Whether user-service, product-service and order-service answer grpc.health.v1 SERVING',
      tag: 'operations',
      access: 'public',
      noStore: true,
      responses: {
        200: { description: 'every peer is serving', schema: GatewayHealth },
        503: { description: 'a peer is not serving, or the gateway is shutting down', schema: GatewayHealth },
      },
      handle: async () => {
        const report = await deps.health.report();
        return report.ready
          ? { status: 200, body: { status: 'ok' as const, checks: report.checks } }
          : { status: 503, body: { status: 'unavailable' as const, checks: report.checks } };
      },
    }),

    ...analyticsRoutes({ windows: deps.analyticsWindows }),
  ];
}
