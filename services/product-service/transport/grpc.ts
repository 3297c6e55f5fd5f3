import * as path from 'node:path';
import {
  type Money,
  type Product as ProductMessage,
  type ProductServiceServer,
  ProductServiceService,
  RejectionReason,
  type Reservation as ReservationMessage,
  type ReservationRejection,
  StockLineField,
} from '../../../lib/contracts/gen/shopfront/product/v1/product';
import { bindService, type GrpcServiceBinding } from '../../../lib/runtime/grpc-server';
import type { ProductCatalog } from '../domain/catalog';
import { OutOfStockError, UnknownProductError } from '../domain/errors';
import type { Product } from '../domain/product';
import type { Reservation } from '../domain/reservation';

const CONTRACTS = path.join(__dirname, '../../../lib/contracts/proto');
export const PROTO_FILES = [path.join(CONTRACTS, 'shopfront/product/v1/product.proto')];
export const PROTO_INCLUDE_DIRS = [CONTRACTS];

function toMoney(money: { amount: number; currency: string }): Money {
  return { amount: money.amount, currency: money.currency };
}

export function toProductMessage(product: Product): ProductMessage {
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    price: toMoney(product.price),
    stock: product.stock,
    createdAt: product.createdAt,
  };
}

function toReservationMessage(reservation: Reservation): ReservationMessage {
  return {
    reservationId: reservation.reservationId,
    lines: reservation.lines.map((l) => ({
      productId: l.productId,
      quantity: l.quantity,
      unitPrice: toMoney(l.unitPrice),
    })),
    status: reservation.status,
    rejection: undefined,
  };
}

/**
 * A line that cannot be had, as the contract answers it: a REJECTED reservation naming the line (a result the
 * caller acts on, like a declined charge), not an error status. Undefined for any other error.
 */
function rejectionOf(error: unknown): ReservationRejection | undefined {
  if (error instanceof OutOfStockError) {
    return {
      reason: RejectionReason.REJECTION_REASON_OUT_OF_STOCK,
      lineIndex: error.lineIndex,
      field: StockLineField.STOCK_LINE_FIELD_QUANTITY,
    };
  }
  if (error instanceof UnknownProductError) {
    return {
      reason: RejectionReason.REJECTION_REASON_PRODUCT_NOT_FOUND,
      lineIndex: error.lineIndex,
      field: StockLineField.STOCK_LINE_FIELD_PRODUCT_ID,
    };
  }
  return undefined;
}

/**
 * shopfront.product.v1.ProductService over the domain. Requests are handed to the same catalog functions
 * as HTTP (as plain objects, proto3 defaults included), so validation and errors are identical.
 */
export function productGrpcService(catalog: ProductCatalog): GrpcServiceBinding {
  return bindService<ProductServiceServer>(ProductServiceService, {
    listProducts: async (request) => {
      const page = await catalog.listProducts({ limit: request.limit, cursor: request.cursor });
      return { items: page.items.map(toProductMessage), nextCursor: page.nextCursor ?? '' };
    },
    getProduct: async (request) => toProductMessage(await catalog.getProduct(request.id)),
    createProduct: async (request, ctx) => {
      const product = await catalog.createProduct(ctx.bearerToken, {
        name: request.name,
        description: request.description,
        price: request.price && { amount: request.price.amount, currency: request.price.currency },
        stock: request.stock,
      });
      ctx.log.info({ productId: product.id }, 'product created');
      return toProductMessage(product);
    },
    updateProduct: async (request, ctx) => {
      const product = await catalog.updateProduct(ctx.bearerToken, request.id, {
        ...(request.price && { price: { amount: request.price.amount, currency: request.price.currency } }),
        ...(request.stockDelta !== undefined && { stockDelta: request.stockDelta }),
      });
      ctx.log.info(
        { productId: product.id, priceChanged: request.price !== undefined, stockDelta: request.stockDelta },
        'product changed',
      );
      return toProductMessage(product);
    },
    reserveStock: async (request, ctx) => {
      try {
        const reservation = await catalog.reserveStock({
          reservationId: request.reservationId,
          lines: request.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
        });
        ctx.log.info({ reservationId: reservation.reservationId, status: reservation.status }, 'stock reserved');
        return toReservationMessage(reservation);
      } catch (error) {
        const rejection = rejectionOf(error);
        if (!rejection) throw error;
        ctx.log.info(
          {
            reservationId: request.reservationId,
            reason: RejectionReason[rejection.reason],
            line: rejection.lineIndex,
          },
          'stock reservation rejected',
        );
        return { reservationId: request.reservationId, lines: [], status: 'REJECTED', rejection };
      }
    },
    releaseStock: async (request, ctx) => {
      const released = await catalog.releaseStock(request.reservationId);
      ctx.log.info({ reservationId: request.reservationId, released }, 'stock release');
      return { released };
    },
  });
}
