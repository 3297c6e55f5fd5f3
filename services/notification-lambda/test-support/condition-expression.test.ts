import { evaluateCondition } from './condition-expression';

const item = { eventId: { S: 'e-1' }, status: { S: 'IN_PROGRESS' }, leaseMs: { N: '100' } };
const names = { '#status': 'status' };
const values = { ':ip': { S: 'IN_PROGRESS' }, ':done': { S: 'COMPLETED' }, ':n99': { N: '99' }, ':n100': { N: '100' } };
const evaluate = (expression: string) => evaluateCondition(expression, item, names, values);
const evaluateOnMissingItem = (expression: string) => evaluateCondition(expression, undefined, names, values);

describe('evaluateCondition (the fake DynamoDB’s condition semantics)', () => {
  it('checks attribute existence', () => {
    expect(evaluate('attribute_not_exists(eventId)')).toBe(false);
    expect(evaluateOnMissingItem('attribute_not_exists(eventId)')).toBe(true);
    expect(evaluateOnMissingItem('#status = :ip')).toBe(false);
    expect(evaluate('attribute_exists(eventId)')).toBe(true);
  });

  it('compares numbers numerically and strings exactly, resolving placeholders', () => {
    expect(evaluate('leaseMs < :n100')).toBe(false);
    expect(evaluate('leaseMs <= :n100')).toBe(true);
    expect(evaluate('leaseMs > :n99')).toBe(true);
    expect(evaluate('#status = :ip')).toBe(true);
    expect(evaluate('#status <> :ip')).toBe(false);
  });

  it('treats a missing attribute or a type mismatch as false', () => {
    expect(evaluate('missing = :ip')).toBe(false);
    expect(evaluate('leaseMs = :ip')).toBe(false);
  });

  it('binds AND tighter than OR and honours parentheses and NOT', () => {
    expect(evaluate('attribute_exists(eventId) OR #status = :done AND leaseMs < :n99')).toBe(true);
    expect(evaluate('(attribute_exists(eventId) OR #status = :done) AND leaseMs < :n99')).toBe(false);
    expect(evaluate('NOT #status = :done')).toBe(true);
  });

  it('refuses what it does not understand instead of guessing', () => {
    expect(() => evaluate('begins_with(eventId, :ip)')).toThrow();
    expect(() => evaluate('#unknown = :ip')).toThrow(/#unknown/);
  });
});
