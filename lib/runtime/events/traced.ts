import { context, ROOT_CONTEXT, type Span, SpanKind, trace } from '@opentelemetry/api';
import { endSpanWithError, extractTraceContext, type Tracing, traceHeaders } from '../tracing';
import type { DeliveredMessage, EventBus, OutgoingMessage, SubscribeOptions, Subscription } from './bus';

/** The W3C trace context headers a record carries (the Kafka convention; CloudEvents' binary mode says the same). */
const TRACE_HEADERS = ['traceparent', 'tracestate'];

const withoutTraceHeaders = (headers: Readonly<Record<string, string>> = {}): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !TRACE_HEADERS.includes(name)));

/**
 * The bus as one service sees it, traced: a producer span per record published — a child of the context the record
 * already carries in `traceparent` (the outbox relay sets the one stored with the event), else of the active one —
 * whose context replaces the record's trace headers; and a consumer span around each delivery, a child of the
 * record's `traceparent`, inside which the handler runs (its logs, calls and publishes join the trace). A record
 * with a missing or malformed `traceparent` starts a new trace; tracing never fails a publish or a delivery.
 */
export function tracedEventBus(bus: EventBus, tracing: Tracing, system: string): EventBus {
  const { tracer } = tracing;
  return {
    async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
      const active = context.active();
      const spans: Span[] = [];
      const traced = messages.map((message) => {
        const parent = message.headers?.traceparent ? extractTraceContext(message.headers) : active;
        const span = tracer.startSpan(
          `send ${topic}`,
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              'messaging.system': system,
              'messaging.operation.type': 'send',
              'messaging.destination.name': topic,
              'messaging.kafka.message.key': message.key,
            },
          },
          parent,
        );
        spans.push(span);
        return {
          ...message,
          headers: { ...withoutTraceHeaders(message.headers), ...traceHeaders(trace.setSpan(ROOT_CONTEXT, span)) },
        };
      });
      try {
        await bus.publish(topic, traced);
      } catch (error) {
        for (const span of spans) endSpanWithError(span, error);
        throw error;
      }
      for (const span of spans) span.end();
    },

    subscribe(options: SubscribeOptions): Promise<Subscription> {
      const processSpan = (message: DeliveredMessage, batchSize?: number) => {
        const parent = tracing.withTracer(extractTraceContext(message.headers));
        const span = tracer.startSpan(
          `process ${message.topic}`,
          {
            kind: SpanKind.CONSUMER,
            attributes: {
              'messaging.system': system,
              'messaging.operation.type': 'process',
              'messaging.destination.name': message.topic,
              'messaging.consumer.group.name': options.groupId,
              'messaging.destination.partition.id': String(message.partition),
              'messaging.kafka.offset': message.offset,
              'messaging.kafka.message.key': message.key ?? '',
              'shopfront.delivery.attempt': message.attempt,
              ...(batchSize === undefined ? {} : { 'messaging.batch.message_count': batchSize }),
            },
          },
          parent,
        );
        return { span, active: trace.setSpan(parent, span) };
      };
      const handleBatch = options.handleBatch;
      return bus.subscribe({
        ...options,
        handle: async (message) => {
          const { span, active } = processSpan(message);
          try {
            await context.with(active, () => options.handle(message));
          } catch (error) {
            endSpanWithError(span, error);
            throw error;
          }
          span.end();
        },
        // A span per record, the child of the record's own context as for one record at a time; the handler runs
        // each record's work in it through `within`, so one order stays one trace when records come in batches.
        ...(handleBatch && {
          handleBatch: async (messages) => {
            const traced = messages.map((message) => ({ message, ...processSpan(message, messages.length) }));
            let left: readonly DeliveredMessage[];
            try {
              left = await handleBatch(
                traced.map(({ message, active }) => ({
                  ...message,
                  within: <T>(work: () => T): T => context.with(active, work),
                })),
              );
            } catch (error) {
              for (const { span } of traced) endSpanWithError(span, error);
              throw error;
            }
            const unfinished = new Set(left.map((message) => message.offset));
            for (const { message, span } of traced) {
              if (unfinished.has(message.offset)) span.setAttribute('shopfront.delivery.unfinished', true);
              span.end();
            }
            return left;
          },
        }),
      });
    },

    ping: () => bus.ping(),
    close: () => bus.close(),
  };
}
