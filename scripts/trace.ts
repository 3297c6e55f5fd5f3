/**
 * `npm run trace -- <orderId|traceId>`: prints the traces of an order (or one trace) from the local platform's trace
 * file, `DATA_DIR/traces.jsonl` and its rotated predecessor, as indented waterfalls.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TRACES_FILE } from '../lib/runtime/tracing-config';
import { findTraceIds, parseTraceLines, renderWaterfall } from './trace-view';

function main(argv: readonly string[]): number {
  const query = argv[0];
  if (!query || argv.length > 1 || query.startsWith('-')) {
    process.stderr.write('usage: npm run trace -- <orderId|traceId>\n');
    return 2;
  }
  // Where npm start has the services write: TRACES_FILE, else DATA_DIR/traces.jsonl (the rotated one first).
  const file = path.resolve(process.env.TRACES_FILE || path.join(process.env.DATA_DIR || '.data', TRACES_FILE));
  const files = [`${file}.1`, file].filter((f) => existsSync(f));
  if (files.length === 0) {
    process.stderr.write(`no trace file at ${file}: start the platform (npm start) and place an order first\n`);
    return 1;
  }
  const { spans, badLines } = parseTraceLines(files.map((f) => readFileSync(f, 'utf8')).join('\n'));
  if (badLines > 0) process.stderr.write(`skipped ${badLines} line(s) that are not OTLP/JSON\n`);
  const traces = findTraceIds(spans, query);
  if (traces.length === 0) {
    process.stderr.write(`no trace of '${query}' in ${files.join(', ')} (spans are written about a second late)\n`);
    return 1;
  }
  process.stdout.write(traces.map((id) => renderWaterfall(spans, id)).join('\n'));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
