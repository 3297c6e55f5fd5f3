import { Writable } from 'node:stream';
import { createLogger } from '../logger';

/** A logger whose JSON lines are kept for assertions. */
export function capturedLogger(service = 'test') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ service, level: 'debug', destination }), lines };
}
