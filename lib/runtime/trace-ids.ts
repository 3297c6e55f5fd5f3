import { context, isSpanContextValid, trace } from '@opentelemetry/api';

export interface TraceIds {
  readonly trace_id: string;
  readonly span_id: string;
}

/**
 * trace_id and span_id of the active span, for log lines and exemplars; undefined outside a span, or in one that is
 * not sampled (no trace store has it, so a link to it would lead nowhere).
 */
export function activeTraceIds(): TraceIds | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const ids = span.spanContext();
  return isSpanContextValid(ids) && (ids.traceFlags & 1) === 1
    ? { trace_id: ids.traceId, span_id: ids.spanId }
    : undefined;
}
