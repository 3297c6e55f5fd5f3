import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { serializeTraceRequest } from './otlp-json';

export interface FileSpanExporterOptions {
  readonly file: string;
  /** Past this size the file is renamed to `<file>.1` (replacing the previous one) and a new one begins. */
  readonly maxBytes: number;
}

/**
 * Spans as OTLP/JSON lines, the OpenTelemetry Collector file exporter's format: one ExportTraceServiceRequest per
 * line, so the file can be replayed into any collector (`otlpjsonfile` receiver) or read by `npm run trace`.
 * Writes are appends of whole lines, asynchronous, so the services of the local platform (one writer each) share
 * the file without blocking their event loops.
 */
export class FileSpanExporter implements SpanExporter {
  private pending: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: FileSpanExporterOptions) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.stopped) {
      done({ code: ExportResultCode.FAILED, error: new Error('the trace file exporter is shut down') });
      return;
    }
    const line = `${serializeTraceRequest(spans)}\n`;
    this.pending = this.pending
      .then(() => this.append(line))
      .then(
        () => done({ code: ExportResultCode.SUCCESS }),
        (error: unknown) =>
          done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
      );
  }

  private async append(line: string): Promise<void> {
    const { file, maxBytes } = this.options;
    const size = await stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) await mkdir(path.dirname(file), { recursive: true });
    else if (size + line.length > maxBytes) await rename(file, `${file}.1`).catch(() => undefined);
    await appendFile(file, line);
  }

  async forceFlush(): Promise<void> {
    await this.pending;
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.pending;
  }
}
