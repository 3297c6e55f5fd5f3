import { status as GrpcStatus } from '@grpc/grpc-js';
import { InvalidArgumentError, isDatabaseUnavailable } from './errors';
import { toGrpcError } from './status';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a server shutting down (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['a server starting up (57P03)', withCode('57P03', 'the database system is starting up')],
    ['too many connections (53300)', withCode('53300')],
    ['a statement cancelled by statement_timeout (57014)', withCode('57014')],
    ['a connection exception (08006)', withCode('08006')],
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    ["the pool's connect timeout", new Error('timeout exceeded when trying to connect')],
    ['a cut connection', new Error('Connection terminated unexpectedly')],
  ])('is true for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', withCode('23505', 'duplicate key value')],
    ['a syntax error (42601)', withCode('42601')],
    ['a domain error', new InvalidArgumentError('bad', 'field')],
    ['a plain error', new Error('boom')],
    ['a string', 'Connection terminated'],
    ['null', null],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('toGrpcError', () => {
  it('answers an unreachable database UNAVAILABLE, without its message', () => {
    const mapped = toGrpcError(withCode('57P01', 'terminating connection due to administrator command'));
    expect(mapped.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(mapped.details).toBe('database unavailable');
  });

  it('still answers any other unexpected error INTERNAL without its message', () => {
    const mapped = toGrpcError(withCode('23505', 'duplicate key value violates unique constraint "secret"'));
    expect(mapped).toMatchObject({ code: GrpcStatus.INTERNAL, details: 'internal error' });
  });
});
