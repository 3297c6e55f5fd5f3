/** The public REST API, same origin; every failure becomes an ApiError the pages can word for a person. */

export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly orderId?: string;
  readonly declineCode?: string;
}

export class ApiError extends Error {
  constructor(
    /** The HTTP status, or 0 when no answer came (network down, the page offline). */
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }

  get code(): string {
    return this.body.code;
  }

  get field(): string | undefined {
    return this.body.field;
  }

  /** No answer, or the answer that the request ran out of time: the same attempt may be sent again. */
  get mayRepeat(): boolean {
    return this.status === 0 || this.status === 504 || this.status === 408;
  }
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PATCH';
  readonly body?: unknown;
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** Calls `/api/v1${path}` and answers its JSON, or throws an ApiError. */
export async function api<T>(path: string, options: RequestOptions = {}, fetchImpl: Fetch = fetch): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetchImpl(`/api/v1${path}`, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, { code: 'UNAVAILABLE', message: 'no answer from the shop' });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as T;
  const error = (parsed as { error?: ApiErrorBody } | undefined)?.error;
  throw new ApiError(
    response.status,
    error && typeof error.code === 'string'
      ? error
      : { code: response.status >= 500 ? 'UNAVAILABLE' : 'UNKNOWN', message: `HTTP ${response.status}` },
  );
}

/** Field errors of an answer: the API names one field per error (`items[1].quantity`, `price.amount`, `email`). */
export function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof ApiError && error.field && (error.status === 400 || error.status === 422)) {
    return { [error.field]: sentence(error.body.message) };
  }
  return {};
}

/** `must not be empty` -> `Must not be empty.` */
export function sentence(message: string): string {
  const trimmed = message.trim();
  if (!trimmed) return trimmed;
  const capital = trimmed[0]?.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
