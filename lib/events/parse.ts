import { type EventError, fromZodError } from './errors';
import { KNOWN_EVENT_TYPES, type OrderEvent, orderCreatedEventSchema } from './order-created';

export type ParseOrderEventResult = { ok: true; event: OrderEvent } | { ok: false; error: EventError };

const fail = (error: EventError): ParseOrderEventResult => ({ ok: false, error });

type Decoded = { ok: true; value: unknown } | { ok: false };

const decode = (raw: unknown): Decoded => {
  const text = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : null;
  if (text === null) {
    return { ok: true, value: raw };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses an order event from a Kafka value (Buffer), a JSON string, or an already-decoded object.
 * Never throws: bad input is a value (`ok: false`) with a code the caller can route on.
 */
export const parseOrderEvent = (raw: unknown): ParseOrderEventResult => {
  const decoded = decode(raw);
  if (!decoded.ok) {
    // JSON.parse's own message quotes the input; the payload must not reach logs.
    return fail({ code: 'NOT_JSON', message: 'payload is not valid JSON' });
  }
  const value = decoded.value;
  if (!isObject(value)) {
    return fail({ code: 'INVALID_EVENT', message: 'event must be a JSON object' });
  }
  if (typeof value.type !== 'string' || value.type === '') {
    return fail({ code: 'INVALID_EVENT', message: 'type: must be a non-empty string', field: 'type' });
  }
  if (!KNOWN_EVENT_TYPES.includes(value.type)) {
    return fail({
      code: 'UNKNOWN_EVENT_TYPE',
      message: `type: unsupported event type '${value.type}', expected one of ${KNOWN_EVENT_TYPES.join(', ')}`,
      field: 'type',
    });
  }
  const parsed = orderCreatedEventSchema.safeParse(value);
  return parsed.success ? { ok: true, event: parsed.data } : fail(fromZodError(parsed.error));
};
