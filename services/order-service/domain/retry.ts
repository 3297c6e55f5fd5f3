export interface RetryPolicy {
  /** Attempts after the first; `Infinity` with a deadline: retry until the deadline. */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface RetryEnvironment {
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1). */
  readonly random?: () => number;
  readonly onRetry?: (error: unknown, retry: number, delayMs: number) => void;
  /** Epoch ms: no retry starts after it (the first attempt always runs). */
  readonly deadline?: number;
  readonly now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with full jitter: retry n (1-based) waits a random time in [0, min(max, base * 2^(n-1))). */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1)));
}

/**
 * Runs `attempt` until it resolves, it throws what `isRetryable` refuses, or the retries are spent or the next
 * one would start past the deadline (then the last error is thrown). Only for calls that are safe to repeat
 * (idempotent by key).
 */
export async function withRetries<T>(
  attempt: (retry: number) => Promise<T>,
  policy: RetryPolicy,
  isRetryable: (error: unknown) => boolean,
  environment: RetryEnvironment = {},
): Promise<T> {
  const sleep = environment.sleep ?? realSleep;
  const random = environment.random ?? Math.random;
  const now = environment.now ?? Date.now;
  for (let retry = 0; ; retry += 1) {
    try {
      return await attempt(retry);
    } catch (error) {
      if (retry >= policy.retries || !isRetryable(error)) throw error;
      const delay = backoffDelay(policy, retry + 1, random);
      if (environment.deadline !== undefined && now() + delay >= environment.deadline) throw error;
      environment.onRetry?.(error, retry + 1, delay);
      await sleep(delay);
    }
  }
}
