import type { z } from 'zod';

export type EventErrorCode = 'NOT_JSON' | 'UNKNOWN_EVENT_TYPE' | 'INVALID_EVENT';

/** A rejected event, as a value a caller can act on. Never carries the payload. */
export interface EventError {
  readonly code: EventErrorCode;
  readonly message: string;
  /** Dotted path of the first bad field, e.g. `data.items.0.quantity`. */
  readonly field?: string;
}

/** Thrown by the builders: a producer must never publish an event consumers would reject. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  readonly code: EventErrorCode;
  readonly field: string | undefined;

  constructor(error: EventError) {
    super(error.message);
    this.code = error.code;
    this.field = error.field;
  }
}

/** The first zod issue as an EventError; zod reports issues in field order. */
export const fromZodError = (error: z.ZodError): EventError => {
  const issue = error.issues[0];
  if (issue === undefined) {
    return { code: 'INVALID_EVENT', message: 'invalid event' };
  }
  const field = issue.path.map(String).join('.');
  return field === ''
    ? { code: 'INVALID_EVENT', message: issue.message }
    : { code: 'INVALID_EVENT', message: `${field}: ${issue.message}`, field };
};
