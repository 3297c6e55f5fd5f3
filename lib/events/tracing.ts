/** A W3C `traceparent`: version, 32-hex trace id, 16-hex parent id, flags (lower-case hex). */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
/** A W3C `tracestate`: at most 512 characters of list members, no control characters. */
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

export interface DistributedTracing {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * The event (structured-mode CloudEvents JSON) with the distributed-tracing extension: the trace context the event
 * was created in, carried inside the event so it survives any transport and any format change. A malformed
 * `traceparent` or `tracestate` is left out, never passed on; JSON that is not an object comes back unchanged
 * (the consumers reject it on their own terms).
 */
export const withDistributedTracing = (eventJson: string, tracing: DistributedTracing): string => {
  if (!tracing.traceparent || !TRACEPARENT.test(tracing.traceparent)) return eventJson;
  let event: unknown;
  try {
    event = JSON.parse(eventJson);
  } catch {
    return eventJson;
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return eventJson;
  const extension: Record<string, string> = { traceparent: tracing.traceparent };
  if (tracing.tracestate && TRACESTATE.test(tracing.tracestate)) extension.tracestate = tracing.tracestate;
  return JSON.stringify({ ...event, ...extension });
};
