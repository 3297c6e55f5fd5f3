import type { Logger } from './logger';

export interface ShutdownStep {
  readonly name: string;
  readonly run: () => Promise<void>;
}

export interface ShutdownOptions {
  /** Time allowed for all steps together before the process exits anyway. @default 10000 */
  readonly deadlineMs?: number;
  readonly signals?: readonly NodeJS.Signals[];
  /** @default process.exit */
  readonly exit?: (code: number) => void;
}

/**
 * Runs `steps` in order on SIGTERM/SIGINT (typically: report not-ready, stop accepting and finish
 * in-flight requests, close pools), then exits 0; exits 1 when the deadline passes or a step fails.
 * Returns the function that triggers the same sequence, for tests and embedding.
 */
export function handleShutdown(
  logger: Logger,
  steps: readonly ShutdownStep[],
  options: ShutdownOptions = {},
): () => Promise<void> {
  const deadlineMs = options.deadlineMs ?? 10_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started: Promise<void> | undefined;

  const shutdown = (): Promise<void> => {
    started ??= (async () => {
      logger.info({ deadlineMs }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error({ deadlineMs }, 'shutdown deadline passed; exiting with work unfinished');
        exit(1);
      }, deadlineMs);
      timer.unref();
      let code = 0;
      for (const step of steps) {
        try {
          await step.run();
          logger.info({ step: step.name }, 'shutdown step done');
        } catch (error) {
          code = 1;
          logger.error({ step: step.name, err: error }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      logger.info({ code }, 'stopped');
      // The log's last lines are written before the process ends (stdout may be an asynchronous pipe).
      await new Promise<void>((resolve) => {
        setTimeout(resolve, 1000);
        logger.flush(() => resolve());
      });
      exit(code);
    })();
    return started;
  };
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) process.once(signal, () => void shutdown());
  return shutdown;
}
