import type { Attributes, AttributeValue, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';

/**
 * Finished spans as one OTLP/JSON ExportTraceServiceRequest (the OpenTelemetry protocol's JSON encoding: hex ids,
 * nanosecond times as decimal strings, enum values as numbers), grouped by resource and instrumentation scope.
 *
 * `@opentelemetry/otlp-transformer`'s JsonTraceSerializer produces the same text, and `otlp-json.test.ts` holds this
 * function to it byte for byte. That package is one module graph with the protobuf and metrics serializers: ~2.9 MiB
 * of heap in each service isolate that writes the local trace file, where this needs a few functions. The OTLP/HTTP
 * exporter, used when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, still loads it.
 */
export function serializeTraceRequest(spans: readonly ReadableSpan[]): string {
  return JSON.stringify({ resourceSpans: resourceSpans(spans) });
}

// W3C trace flags keep the low 8 bits; OTLP adds "the parent's remoteness is known" and "the parent is remote".
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;
const flagsOf = (traceFlags: number, isRemote: boolean | undefined): number =>
  (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);

const nanos = (time: HrTime): string =>
  (BigInt(Math.trunc(time[0])) * 1_000_000_000n + BigInt(Math.trunc(time[1]))).toString();

type AnyValue =
  | { stringValue: string }
  | { intValue: number }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { bytesValue: string }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | Record<string, never>;
interface KeyValue {
  key: string;
  value: AnyValue;
}

function anyValue(value: unknown): AnyValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'number':
      return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
    case 'boolean':
      return { boolValue: value };
  }
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (typeof value === 'object' && value !== null) return { kvlistValue: { values: attributes(value) } };
  return {};
}

const attributes = (of: Attributes | object): KeyValue[] =>
  Object.keys(of).map((key) => ({ key, value: anyValue((of as Record<string, AttributeValue>)[key]) }));

const event = (e: TimedEvent) => ({
  attributes: e.attributes ? attributes(e.attributes) : [],
  name: e.name,
  timeUnixNano: nanos(e.time),
  droppedAttributesCount: e.droppedAttributesCount || 0,
});

const link = (l: Link) => ({
  attributes: l.attributes ? attributes(l.attributes) : [],
  spanId: l.context.spanId,
  traceId: l.context.traceId,
  traceState: l.context.traceState?.serialize(),
  droppedAttributesCount: l.droppedAttributesCount || 0,
  flags: flagsOf(l.context.traceFlags, l.context.isRemote),
});

function span(s: ReadableSpan) {
  const context = s.spanContext();
  const parent: SpanContext | undefined = s.parentSpanContext;
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: parent?.spanId ? parent.spanId : undefined,
    traceState: context.traceState?.serialize(),
    name: s.name,
    kind: s.kind == null ? 0 : s.kind + 1,
    startTimeUnixNano: nanos(s.startTime),
    endTimeUnixNano: nanos(s.endTime),
    attributes: attributes(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map(event),
    droppedEventsCount: s.droppedEventsCount,
    status: { code: s.status.code, message: s.status.message },
    links: s.links.map(link),
    droppedLinksCount: s.droppedLinksCount,
    flags: flagsOf(context.traceFlags, parent?.isRemote),
  };
}

function resourceSpans(spans: readonly ReadableSpan[]) {
  // Resource (by identity), then scope (by name, version and schema), in the order they first appear.
  const byResource = new Map<ReadableSpan['resource'], Map<string, ReadableSpan[]>>();
  for (const s of spans) {
    let byScope = byResource.get(s.resource);
    if (!byScope) {
      byScope = new Map();
      byResource.set(s.resource, byScope);
    }
    const scope = s.instrumentationScope;
    const key = `${scope.name}@${scope.version || ''}:${scope.schemaUrl || ''}`;
    const group = byScope.get(key);
    if (group) group.push(s);
    else byScope.set(key, [s]);
  }
  return [...byResource].map(([resource, byScope]) => {
    const schemaUrl = resource.schemaUrl ? resource.schemaUrl : undefined;
    return {
      resource: { attributes: attributes(resource.attributes), droppedAttributesCount: 0, schemaUrl },
      scopeSpans: [...byScope.values()].map((group) => {
        const scope = group[0]?.instrumentationScope ?? { name: '' };
        const scopeAttributes = (scope as { attributes?: Attributes }).attributes;
        return {
          scope: {
            name: scope.name,
            version: scope.version,
            ...(scopeAttributes &&
              Object.keys(scopeAttributes).length > 0 && {
                attributes: attributes(scopeAttributes),
                droppedAttributesCount: (scope as { droppedAttributesCount?: number }).droppedAttributesCount ?? 0,
              }),
          },
          spans: group.map(span),
          schemaUrl: scope.schemaUrl,
        };
      }),
      schemaUrl,
    };
  });
}
