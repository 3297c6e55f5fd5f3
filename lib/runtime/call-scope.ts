import { AsyncLocalStorage } from 'node:async_hooks';
import { DomainError } from './errors';

/** What every piece of work done for one incoming call can ask: is the caller still waiting, and until when. */
export interface CallScope {
  /** Aborted when the caller cancelled the call or its deadline passed. */
  readonly signal: AbortSignal;
  /** Epoch ms by which the caller wants its answer; undefined when it set no deadline. */
  readonly deadline?: number;
}

const scopes = new AsyncLocalStorage<CallScope>();

/** Runs `work` (and everything it awaits) inside the call's scope. */
export function withCallScope<T>(scope: CallScope, work: () => T): T {
  return scopes.run(scope, work);
}

/** The scope of the call this code runs for, when it runs for one. */
export function currentCallScope(): CallScope | undefined {
  return scopes.getStore();
}

/** The caller stopped waiting before expensive work began: the work is skipped, nobody would read its result. */
export class CallerGoneError extends DomainError {
  constructor(what: string) {
    super('DEADLINE_EXCEEDED', `the caller stopped waiting before ${what} started`);
  }
}
