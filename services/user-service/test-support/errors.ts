import { DomainError } from '../../../lib/runtime/errors';

/** Runs `work` and returns the DomainError it throws; fails the test when it returns or throws anything else. */
export async function domainErrorOf(work: () => unknown): Promise<DomainError> {
  let result: unknown;
  try {
    result = await work();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error(`expected a DomainError, got a result: ${JSON.stringify(result)}`);
}
