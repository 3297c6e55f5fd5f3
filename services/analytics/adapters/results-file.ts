import { appendFile, mkdir, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type AnalyticsWindowEvent, parseAnalyticsWindowEvent } from '../../../lib/events';

/** A line of the results file that is not a window event: the file is not ours, or was edited. */
export class ResultsFileError extends Error {
  override readonly name = 'ResultsFileError';
}

/**
 * The local results file: one `analytics.window` v1 CloudEvent per line, at most one line per window. It is
 * also the job's ledger of emitted windows: a window is written here only after it was published, so a window
 * found here is never published or written again.
 */
export class ResultsFile {
  private constructor(
    readonly path: string,
    private readonly written: Set<string>,
  ) {}

  /**
   * Reads the windows already written, creating the file empty when there is none (so `tail -F` can follow it
   * from the start). A last line without its newline was cut short by a crash before its append finished: it is
   * removed (that window is still pending and is written again).
   * @throws ResultsFileError on a whole line that is not a window event
   */
  static async open(path: string): Promise<ResultsFile> {
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, '', 'utf8');
    const text = await readFile(path, 'utf8');
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length !== text.length) await truncate(path, Buffer.byteLength(complete, 'utf8'));
    const written = new Set<string>();
    complete
      .split('\n')
      .filter((line) => line !== '')
      .forEach((line, index) => {
        const parsed = parseAnalyticsWindowEvent(line);
        if (!parsed.ok) throw new ResultsFileError(`${path} line ${index + 1}: ${parsed.error.message}`);
        written.add(parsed.event.subject);
      });
    return new ResultsFile(path, written);
  }

  /** Whether the window starting at `windowStart` (the event's subject) is already in the file. */
  has(windowStart: string): boolean {
    return this.written.has(windowStart);
  }

  /** Appends the window unless it is already there; resolves `false` when it was. */
  async append(event: AnalyticsWindowEvent): Promise<boolean> {
    if (this.written.has(event.subject)) return false;
    // One append per line keeps each line whole.
    await appendFile(this.path, `${JSON.stringify(event)}\n`, 'utf8');
    this.written.add(event.subject);
    return true;
  }
}
