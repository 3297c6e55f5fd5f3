import { readFile } from 'node:fs/promises';
import { type AnalyticsWindowData, parseAnalyticsWindowEvent } from '../../../lib/events';

/** Closed analytics windows, wherever the platform keeps them. */
export interface AnalyticsWindowsSource {
  /** The windows whose start lies in `[from, to)`, ascending by start, at most one per start. */
  windowsBetween(from: Date, to: Date): Promise<readonly AnalyticsWindowData[]>;
}

/** The results file is not the analytics twin's (a line that is not a window event). */
export class ResultsFileUnreadableError extends Error {
  override readonly name = 'ResultsFileUnreadableError';
}

/**
 * The local platform's windows: the analytics twin's results file (`DATA_DIR/analytics-results.jsonl`, one
 * `analytics.window` event per line), read per request. No file yet means no window closed yet. A last line
 * without its newline is being written and is left for the next read; a later line for the same window start
 * replaces an earlier one, as the results database's upsert does.
 */
export class ResultsFileWindows implements AnalyticsWindowsSource {
  constructor(readonly path: string) {}

  async windowsBetween(from: Date, to: Date): Promise<readonly AnalyticsWindowData[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    const byStart = new Map<number, AnalyticsWindowData>();
    complete.split('\n').forEach((line, index) => {
      if (line === '') return;
      const parsed = parseAnalyticsWindowEvent(line);
      if (!parsed.ok) {
        throw new ResultsFileUnreadableError(`${this.path} line ${index + 1}: ${parsed.error.message}`);
      }
      const start = Date.parse(parsed.event.data.windowStart);
      if (start >= from.getTime() && start < to.getTime()) byStart.set(start, parsed.event.data);
    });
    return [...byStart.entries()].sort(([a], [b]) => a - b).map(([, window]) => window);
  }
}
