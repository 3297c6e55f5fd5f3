import * as path from 'node:path';
import { ANALYTICS_RESULTS_FILE } from '../../../lib/events';
import { PostgresDatabase } from '../../../lib/runtime/db';
import type { Logger } from '../../../lib/runtime/logger';
import { type AnalyticsWindowsSource, ResultsFileWindows } from './analytics-windows';
import { PostgresWindows } from './analytics-windows-postgres';

export interface WindowsSourceSettings {
  /** The results database, through a login holding analytics_reader. @default - the local results file */
  readonly databaseUrl?: string;
  /** Where the analytics twin writes its results file. */
  readonly dataDir: string;
  readonly logger?: Logger;
}

/**
 * Where the windows query reads from, by configuration: the results database in the cloud (the Flink job's
 * `analytics_windows`, schema `public` as Flyway creates it), else the analytics twin's results file on this machine.
 */
export function analyticsWindowsSource(settings: WindowsSourceSettings): {
  readonly source: AnalyticsWindowsSource;
  readonly close: () => Promise<void>;
} {
  if (settings.databaseUrl) {
    const db = new PostgresDatabase(settings.databaseUrl, 'public', { max: 2, logger: settings.logger });
    return { source: new PostgresWindows(db), close: () => db.close() };
  }
  return {
    source: new ResultsFileWindows(path.join(settings.dataDir, ANALYTICS_RESULTS_FILE)),
    close: async () => undefined,
  };
}
