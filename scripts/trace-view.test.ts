import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { FileSpanExporter } from '../lib/runtime/trace-file';
import { loadTracingConfig, Tracing } from '../lib/runtime/tracing';
import { findTraceIds, parseTraceLines, renderWaterfall } from './trace-view';

describe('the local trace file and its waterfall', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'traces-'));
    file = path.join(dir, 'traces.jsonl');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Two services writing one trace into the file: a gateway request, an order-service call, a failed publish. */
  async function writeOneOrder(orderId: string): Promise<string> {
    const config = loadTracingConfig({ TRACES_FILE: file });
    const gateway = new Tracing({ service: 'api-gateway', config });
    const orders = new Tracing({ service: 'order-service', config });
    const request = gateway.tracer.startSpan('POST /api/v1/orders');
    const inRequest = trace.setSpan(context.active(), request);
    const call = orders.tracer.startSpan('shopfront.order.v1.OrderService/CreateOrder', {}, inRequest);
    const publish = orders.tracer.startSpan(
      'send orders',
      { attributes: { 'messaging.kafka.message.key': orderId } },
      trace.setSpan(inRequest, call),
    );
    publish.setStatus({ code: SpanStatusCode.ERROR, message: 'broker away' });
    publish.end();
    call.end();
    request.end();
    await Promise.all([gateway.shutdown(), orders.shutdown()]);
    return request.spanContext().traceId;
  }

  it('holds one OTLP/JSON ExportTraceServiceRequest per line, with the service on the resource', async () => {
    await writeOneOrder('order-1');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const request = JSON.parse(line);
      expect(request.resourceSpans[0].resource.attributes).toContainEqual({
        key: 'service.name',
        value: { stringValue: expect.stringMatching(/^(api-gateway|order-service)$/) },
      });
      expect(request.resourceSpans[0].scopeSpans[0].spans[0].traceId).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('finds the trace by the order id or by the trace id, and prints it indented under its parents', async () => {
    const traceId = await writeOneOrder('order-1');
    await writeOneOrder('order-2');
    const { spans, badLines } = parseTraceLines(readFileSync(file, 'utf8'));
    expect(badLines).toBe(0);
    expect(findTraceIds(spans, 'order-1')).toEqual([traceId]);
    expect(findTraceIds(spans, traceId)).toEqual([traceId]);
    expect(findTraceIds(spans, 'order-3')).toEqual([]);
    const lines = renderWaterfall(spans, traceId).trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^trace ${traceId}: 3 spans, 2 services, \\d+\\.\\d ms$`));
    const [request, call, publish] = lines.slice(2);
    expect(request?.trimStart()).toMatch(/^0\.0 ms +\d+\.\d ms {2}#+ */);
    expect(request).toMatch(/ api-gateway {10}POST \/api\/v1\/orders$/);
    expect(call).toMatch(/ order-service {10}shopfront\.order\.v1\.OrderService\/CreateOrder$/);
    expect(publish).toMatch(/ order-service {12}send orders {2}ERROR: broker away$/);
  });

  it('skips lines that are not OTLP/JSON and spans without ids', () => {
    const text = ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x"}]}]}]}', 'cut off {"resou', '[]', ''].join(
      '\n',
    );
    expect(parseTraceLines(text)).toEqual({ spans: [], badLines: 2 });
  });

  it('says when the trace has no spans', () => {
    expect(renderWaterfall([], 'f'.repeat(32))).toBe(`trace ${'f'.repeat(32)}: no spans\n`);
  });

  it('rotates the file past its size, keeping the previous one as .1', async () => {
    const exporter = new FileSpanExporter({ file, maxBytes: 1 });
    const tracing = new Tracing({ service: 'api-gateway', config: loadTracingConfig({}), exporter });
    tracing.tracer.startSpan('first').end();
    await tracing.flush();
    tracing.tracer.startSpan('second').end();
    await tracing.shutdown();
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(parseTraceLines(readFileSync(`${file}.1`, 'utf8')).spans.map((s) => s.name)).toEqual(['first']);
    expect(parseTraceLines(readFileSync(file, 'utf8')).spans.map((s) => s.name)).toEqual(['second']);
  });
});
