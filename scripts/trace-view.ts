/**
 * Reads the local trace file (OTLP/JSON lines: one ExportTraceServiceRequest each) and renders one trace as an
 * indented waterfall. Pure: `scripts/trace.ts` does the reading and printing.
 */

export interface ViewSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly service: string;
  readonly name: string;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly error: boolean;
  readonly statusMessage?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

interface OtlpValue {
  readonly stringValue?: string;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
}
interface OtlpAttribute {
  readonly key: string;
  readonly value?: OtlpValue;
}
interface OtlpSpan {
  readonly traceId?: string;
  readonly spanId?: string;
  readonly parentSpanId?: string;
  readonly name?: string;
  readonly startTimeUnixNano?: string | number;
  readonly endTimeUnixNano?: string | number;
  readonly attributes?: readonly OtlpAttribute[];
  readonly status?: { readonly code?: number; readonly message?: string };
}
interface OtlpRequest {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly OtlpAttribute[] };
    readonly scopeSpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
  }[];
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const STATUS_ERROR = 2;

const valueText = (value: OtlpValue | undefined): string => {
  if (!value) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return String(value.intValue);
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  if (value.boolValue !== undefined) return String(value.boolValue);
  return '';
};

const attributesOf = (attributes: readonly OtlpAttribute[] | undefined): Record<string, string> =>
  Object.fromEntries((attributes ?? []).map((a) => [a.key, valueText(a.value)]));

const nanos = (value: string | number | undefined): bigint => {
  try {
    return BigInt(value ?? 0);
  } catch {
    return 0n;
  }
};

export interface ParsedTraceFile {
  readonly spans: ViewSpan[];
  /** Lines that were not an ExportTraceServiceRequest (a line cut by a crash, a foreign file). */
  readonly badLines: number;
}

/** Every span of the file's lines; lines that are not OTLP/JSON are counted, never fatal. */
export function parseTraceLines(text: string): ParsedTraceFile {
  const spans: ViewSpan[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let request: OtlpRequest;
    try {
      request = JSON.parse(line) as OtlpRequest;
    } catch {
      badLines += 1;
      continue;
    }
    if (typeof request !== 'object' || request === null || !Array.isArray(request.resourceSpans)) {
      badLines += 1;
      continue;
    }
    for (const resourceSpans of request.resourceSpans) {
      const service = attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? 'unknown';
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          if (!span.traceId || !span.spanId) continue;
          spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            service,
            name: span.name ?? '',
            startNs: nanos(span.startTimeUnixNano),
            endNs: nanos(span.endTimeUnixNano),
            error: span.status?.code === STATUS_ERROR,
            statusMessage: span.status?.message || undefined,
            attributes: attributesOf(span.attributes),
          });
        }
      }
    }
  }
  return { spans, badLines };
}

/**
 * The traces `query` names: a trace id (32 hex digits) as such, anything else (an order id) by the spans that carry
 * it as an attribute value (the record key of the order's events), oldest trace first.
 */
export function findTraceIds(spans: readonly ViewSpan[], query: string): string[] {
  const wanted = query.trim().toLowerCase();
  if (TRACE_ID.test(wanted)) return spans.some((s) => s.traceId === wanted) ? [wanted] : [];
  const first = new Map<string, bigint>();
  for (const span of spans) {
    if (!Object.values(span.attributes).includes(query.trim())) continue;
    const seen = first.get(span.traceId);
    if (seen === undefined || span.startNs < seen) first.set(span.traceId, span.startNs);
  }
  return [...first].sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id]) => id);
}

const ms = (ns: bigint): string => `${(Number(ns) / 1e6).toFixed(1)} ms`;

/**
 * One trace as a waterfall: a line per span, indented under its parent, children in start order, with its offset
 * from the trace's start, its duration, its service and its status. Spans whose parent is not in the file (a
 * caller outside the platform) are roots.
 */
export function renderWaterfall(spans: readonly ViewSpan[], traceId: string, width = 30): string {
  const trace = spans.filter((s) => s.traceId === traceId);
  if (trace.length === 0) return `trace ${traceId}: no spans\n`;
  const byStart = [...trace].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  const ids = new Set(trace.map((s) => s.spanId));
  const children = new Map<string, ViewSpan[]>();
  const roots: ViewSpan[] = [];
  for (const span of byStart) {
    if (span.parentSpanId && ids.has(span.parentSpanId) && span.parentSpanId !== span.spanId) {
      children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span]);
    } else roots.push(span);
  }
  const start = byStart[0]?.startNs ?? 0n;
  let end = start;
  for (const span of trace) if (span.endNs > end) end = span.endNs;
  const total = end - start > 0n ? end - start : 1n;
  const services = new Set(trace.map((s) => s.service));
  const lines = [
    `trace ${traceId}: ${trace.length} spans, ${services.size} services, ${ms(end - start)}`,
    `${'offset'.padStart(10)} ${'duration'.padStart(10)}  ${'timeline'.padEnd(width)}  ${'service'.padEnd(20)} span`,
  ];
  const visit = (span: ViewSpan, depth: number, seen: Set<string>) => {
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    const from = Math.round((Number(span.startNs - start) / Number(total)) * width);
    const length = Math.max(1, Math.round((Number(span.endNs - span.startNs) / Number(total)) * width));
    const bar = `${' '.repeat(from)}${'#'.repeat(Math.min(length, width - from))}`.padEnd(width);
    const status = span.error ? `  ERROR${span.statusMessage ? `: ${span.statusMessage}` : ''}` : '';
    lines.push(
      `${ms(span.startNs - start).padStart(10)} ${ms(span.endNs - span.startNs).padStart(10)}  ${bar}  ${span.service.padEnd(20)} ${'  '.repeat(depth)}${span.name}${status}`,
    );
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1, seen);
  };
  const seen = new Set<string>();
  for (const root of roots) visit(root, 0, seen);
  return `${lines.join('\n')}\n`;
}
