import { ApiError, api, fieldErrors, sentence } from './api';

const answer = (status: number, body: unknown) => async () =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });

describe('the pages’ API client', () => {
  it('sends JSON with the bearer token and the headers given, to /api/v1', async () => {
    let seen: { url: string; init: RequestInit } | undefined;
    const fetchImpl = async (url: string, init: RequestInit) => {
      seen = { url, init };
      return new Response('{"id":"o-1"}', { status: 201 });
    };
    await expect(
      api('/orders', { method: 'POST', body: { a: 1 }, token: 't', headers: { 'Idempotency-Key': 'k' } }, fetchImpl),
    ).resolves.toEqual({ id: 'o-1' });
    expect(seen?.url).toBe('/api/v1/orders');
    expect(seen?.init).toMatchObject({ method: 'POST', body: '{"a":1}', credentials: 'omit' });
    expect(seen?.init.headers).toMatchObject({
      authorization: 'Bearer t',
      'content-type': 'application/json',
      'Idempotency-Key': 'k',
    });
  });

  it('turns an error answer into an ApiError with the field at fault, worded as a sentence', async () => {
    const error = await api(
      '/auth/register',
      {},
      answer(400, { error: { code: 'INVALID_ARGUMENT', message: 'must not be empty', field: 'name' } }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('INVALID_ARGUMENT');
    expect(fieldErrors(error)).toEqual({ name: 'Must not be empty.' });
  });

  it('gives no field errors for a refusal that is not about input', async () => {
    const error = await api(
      '/orders',
      {},
      answer(402, { error: { code: 'PAYMENT_DECLINED', message: 'declined' } }),
    ).catch((e: unknown) => e);
    expect(fieldErrors(error)).toEqual({});
    expect((error as ApiError).mayRepeat).toBe(false);
  });

  it('lets the same attempt be sent again after no answer or a timeout, not after an answer', async () => {
    const offline = await api('/orders', {}, async () => Promise.reject(new TypeError('failed to fetch'))).catch(
      (e: unknown) => e,
    );
    expect(offline).toMatchObject({ status: 0, code: 'UNAVAILABLE', mayRepeat: true });
    const timedOut = await api('/orders', {}, answer(504, 'gateway timeout')).catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ status: 504, code: 'UNAVAILABLE', mayRepeat: true });
    const broken = await api('/orders', {}, answer(418, '<html>')).catch((e: unknown) => e);
    expect(broken).toMatchObject({ status: 418, code: 'UNKNOWN', mayRepeat: false });
  });

  it('words a message as a sentence once', () => {
    expect(sentence('must be at most 100 characters')).toBe('Must be at most 100 characters.');
    expect(sentence('Already a sentence.')).toBe('Already a sentence.');
    expect(sentence('  ')).toBe('');
  });
});
