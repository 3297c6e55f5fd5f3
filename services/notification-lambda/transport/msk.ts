import { type Link, context as otel, SpanKind, trace } from '@opentelemetry/api';
import type { Context, MSKEvent, MSKRecordHeader } from 'aws-lambda';
import { endSpanWithError, extractTraceContext, type Tracing } from '../../../lib/runtime/tracing';
import type { DeliveryRecords, Logger, Notifier } from '../domain/ports';
import { type BatchRecord, type BatchSummary, processBatch, type RecordFailure } from '../domain/process-batch';

/**
 * Partial batch response of a Kafka (MSK or self-managed) event source mapping with ReportBatchItemFailures.
 * Unlike SQS/Kinesis, `itemIdentifier` is an object: `partition` is the key of the event's `records` map
 * ("<topic>-<partition>", e.g. "orders-0") and `offset` the record's offset as a number. @types/aws-lambda has
 * no Kafka response type. Shape as implemented by AWS's own Powertools for Lambda (Python,
 * aws_lambda_powertools/utilities/batch/base.py `_collect_kafka_failures`) and the Rust runtime's
 * `KafkaItemIdentifier` (aws/aws-lambda-rust-runtime#1164); the feature is documented at
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html ("Partial batch response").
 */
export interface KafkaItemIdentifier {
  readonly partition: string;
  readonly offset: number;
}

export interface KafkaBatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: KafkaItemIdentifier }[];
}

/** A decoded MSK record, remembering the `records` key Lambda wants back in `itemIdentifier.partition`. */
export interface MskBatchRecord extends BatchRecord {
  readonly partitionKey: string;
  /** The record's W3C trace context headers (`traceparent`, `tracestate`), decoded. */
  readonly traceHeaders: Readonly<Record<string, string>>;
}

const TRACE_HEADERS = new Set(['traceparent', 'tracestate']);

/** Lambda gives each Kafka header as a list of byte values; only the trace context ones are decoded. */
const traceHeadersOf = (headers: readonly MSKRecordHeader[] | undefined): Record<string, string> => {
  const decoded: Record<string, string> = {};
  for (const header of headers ?? []) {
    for (const [name, bytes] of Object.entries(header)) {
      if (TRACE_HEADERS.has(name) && Array.isArray(bytes)) decoded[name] = Buffer.from(bytes).toString('latin1');
    }
  }
  return decoded;
};

export const decodeMskEvent = (event: MSKEvent): MskBatchRecord[] =>
  Object.entries(event.records ?? {}).flatMap(([partitionKey, records]) =>
    records.map((record) => ({
      partitionKey,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      value: Buffer.from(record.value ?? '', 'base64'),
      traceHeaders: traceHeadersOf(record.headers),
    })),
  );

/**
 * Lists every failed record, poison ones included: a poison record is retried until MaximumRetryAttempts
 * (10 when an on-failure destination is set and retries are unlimited) and then goes to the on-failure
 * destination, our dead-letter path. AWS's guide says Lambda then retries "only the failed records", but a
 * Kafka consumer resumes a partition at an offset, so later records of that partition may come again.
 * Either way is safe: the delivery records turn every repeat of a sent event into a no-op.
 */
export const toBatchResponse = (failures: readonly RecordFailure<MskBatchRecord>[]): KafkaBatchResponse => ({
  batchItemFailures: failures.map(({ record }) => ({
    itemIdentifier: { partition: record.partitionKey, offset: record.offset },
  })),
});

export interface MskHandlerDeps {
  readonly notifier: Notifier;
  readonly deliveryRecords: DeliveryRecords;
  readonly logger: Logger;
  /** @default - the system clock */
  readonly now?: () => Date;
  /** A consumer span per invocation, exported before the invocation returns. @default - no spans */
  readonly tracing?: Tracing;
}

/**
 * The invocation's consumer span: linked to the context of every record that carries one (a batch joins many
 * traces), and the child of it when the batch holds a single record, so one order is one trace. A record whose
 * `traceparent` is missing or malformed adds no link; nothing fails.
 */
const startInvocationSpan = (tracing: Tracing, records: readonly MskBatchRecord[]) => {
  const contexts = records.map((record) => extractTraceContext(record.traceHeaders));
  const links: Link[] = contexts.flatMap((extracted) => {
    const span = trace.getSpanContext(extracted);
    return span ? [{ context: span }] : [];
  });
  const parent = tracing.withTracer(contexts.length === 1 && contexts[0] ? contexts[0] : otel.active());
  const span = tracing.tracer.startSpan(
    `process ${records[0]?.topic ?? 'batch'}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.batch.message_count': records.length,
        'faas.trigger': 'pubsub',
      },
    },
    parent,
  );
  return { span, active: trace.setSpan(parent, span) };
};

/** Without a Lambda context (local mode), claims hold this long. */
export const DEFAULT_LEASE_MS = 60_000;
/** Covers clock skew between this function and DynamoDB's view of `:now`. */
export const LEASE_MARGIN_MS = 10_000;

export type MskHandler = (
  event: MSKEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<KafkaBatchResponse>;

export const createMskHandler = (deps: MskHandlerDeps): MskHandler => {
  const now = deps.now ?? (() => new Date());
  return async (event, context) => {
    // A claim must outlive this invocation (else a retry could notify while we still might) and no more
    // (else a crash would block the retry): the invocation's own deadline is exactly that bound.
    const remainingMs = context?.getRemainingTimeInMillis() ?? DEFAULT_LEASE_MS;
    const leaseExpiresAt = new Date(now().getTime() + remainingMs + LEASE_MARGIN_MS);
    const records = decodeMskEvent(event);
    const traced = deps.tracing ? startInvocationSpan(deps.tracing, records) : undefined;
    let summary: BatchSummary<MskBatchRecord>;
    try {
      summary = await (traced
        ? otel.with(traced.active, () => processBatch(records, { ...deps, leaseExpiresAt }))
        : processBatch(records, { ...deps, leaseExpiresAt }));
    } catch (error) {
      if (traced) endSpanWithError(traced.span, error);
      await deps.tracing?.flush();
      throw error;
    }
    traced?.span.setAttribute('shopfront.records.failed', summary.failures.length);
    traced?.span.end();
    // A frozen Lambda exports nothing: the spans leave before the invocation returns.
    await deps.tracing?.flush();
    deps.logger.info('batch processed', {
      records: records.length,
      sent: summary.sent,
      duplicates: summary.duplicates,
      failed: summary.failures.length,
    });
    return toBatchResponse(summary.failures);
  };
};
