import { context, trace } from '@opentelemetry/api';
import { loadTracingConfig, Tracing } from '../../../lib/runtime/tracing';
import { createJsonLogger } from './json-logger';

describe('createJsonLogger', () => {
  it('writes one JSON object per call with level, time, service and message', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({
      service: 'notification-lambda',
      write: (line) => lines.push(line),
      now: () => new Date('2025-11-26T09:00:00.000Z'),
    });
    logger.warn('record rejected', { topic: 'orders', partition: 0, offset: 7, code: 'NOT_JSON' });

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'warn',
      time: '2025-11-26T09:00:00.000Z',
      service: 'notification-lambda',
      msg: 'record rejected',
      topic: 'orders',
      partition: 0,
      offset: 7,
      code: 'NOT_JSON',
    });
  });

  it('does not let a field overwrite the level or the message', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ service: 's', write: (line) => lines.push(line) });
    logger.error('boom', { level: 'info', msg: 'fine' });
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'error', msg: 'boom' });
  });

  it('writes the trace and span ids on a line written inside a span, and none outside', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ service: 's', write: (line) => lines.push(line) });
    const tracing = new Tracing({ service: 'notification-lambda', config: loadTracingConfig({}) });
    const span = tracing.tracer.startSpan('process orders');
    context.with(trace.setSpan(context.active(), span), () => logger.info('sent'));
    logger.info('outside');
    span.end();
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(JSON.parse(lines[1] ?? '')).not.toHaveProperty('trace_id');
  });
});
