import { InvalidArgumentError } from '../../../lib/runtime/errors';
import { httpErrorOf } from './http';

describe('httpErrorOf', () => {
  it('answers an unreachable database 503 UNAVAILABLE, so a client may retry', () => {
    const error = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(httpErrorOf(error)).toEqual({
      status: 503,
      body: { error: { code: 'UNAVAILABLE', message: 'database unavailable; try again' } },
    });
  });

  it('answers a pool that could not connect in time 503 as well', () => {
    expect(httpErrorOf(new Error('timeout exceeded when trying to connect')).status).toBe(503);
  });

  it('keeps other unexpected errors a 500 without detail', () => {
    expect(httpErrorOf(new Error('boom'))).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal error' } },
    });
  });

  it('keeps domain errors as they were', () => {
    expect(httpErrorOf(new InvalidArgumentError('limit must be at most 100', 'limit')).status).toBe(400);
  });
});
