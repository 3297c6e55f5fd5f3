export {
  ANALYTICS_RESULTS_FILE,
  ANALYTICS_WINDOW_V1,
  type AnalyticsWindowData,
  type AnalyticsWindowEvent,
  type AnalyticsWindowInput,
  analyticsWindowDataSchema,
  analyticsWindowEventId,
  analyticsWindowEventSchema,
  buildAnalyticsWindow,
  type ParseAnalyticsWindowResult,
  parseAnalyticsWindowEvent,
} from './analytics-window';
export { buildOrderCreated, type OrderCreatedInput } from './build';
export { type EventError, type EventErrorCode, InvalidEventError } from './errors';
export { currencyCodeSchema, formatMoney, type Money, moneySchema } from './money';
export {
  CLOUDEVENTS_SPEC_VERSION,
  JSON_CONTENT_TYPE,
  KNOWN_EVENT_TYPES,
  ORDER_CREATED_V1,
  type OrderCreatedData,
  type OrderCreatedEvent,
  type OrderEvent,
  type OrderItem,
  orderCreatedDataSchema,
  orderCreatedEventSchema,
  orderItemSchema,
} from './order-created';
export { type ParseOrderEventResult, parseOrderEvent } from './parse';
export { type DistributedTracing, withDistributedTracing } from './tracing';
