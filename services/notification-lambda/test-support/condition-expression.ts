import type { AttributeValue } from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;
type Names = Record<string, string>;
type Values = Record<string, AttributeValue>;

/**
 * Evaluates the subset of DynamoDB condition expressions the adapters use, with DynamoDB's semantics:
 * `attribute_exists`/`attribute_not_exists`, `= <> < <= > >=` on S and N (numbers compare numerically,
 * a missing attribute or a type mismatch is false), `NOT`, `AND` binding tighter than `OR`, parentheses,
 * `#name` and `:value` placeholders. Anything else throws, so a new expression cannot pass unexamined.
 */
export const evaluateCondition = (
  expression: string,
  item: Item | undefined,
  names: Names,
  values: Values,
): boolean => {
  const tokens = expression.match(/\(|\)|<>|<=|>=|=|<|>|,|[#:]?[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  if (tokens.join('').replace(/\s/g, '') !== expression.replace(/\s/g, '')) {
    throw new Error(`unsupported condition expression: ${expression}`);
  }
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const take = (expected?: string): string => {
    const token = tokens[position++];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected)) {
      throw new Error(`expected ${expected ?? 'a token'} at ${position} in: ${expression}`);
    }
    return token;
  };
  const attributeName = (token: string): string => {
    if (!token.startsWith('#')) return token;
    const name = names[token];
    if (name === undefined) throw new Error(`undefined name placeholder ${token}`);
    return name;
  };
  const operand = (token: string): AttributeValue | undefined => {
    if (!token.startsWith(':')) {
      const name = attributeName(token);
      return item?.[name];
    }
    const value = values[token];
    if (value === undefined) throw new Error(`undefined value placeholder ${token}`);
    return value;
  };
  const compare = (left: AttributeValue | undefined, operator: string, right: AttributeValue | undefined) => {
    let order: number;
    if (left?.N !== undefined && right?.N !== undefined) order = Number(left.N) - Number(right.N);
    else if (left?.S !== undefined && right?.S !== undefined) order = left.S < right.S ? -1 : left.S > right.S ? 1 : 0;
    else return false;
    switch (operator) {
      case '=':
        return order === 0;
      case '<>':
        return order !== 0;
      case '<':
        return order < 0;
      case '<=':
        return order <= 0;
      case '>':
        return order > 0;
      case '>=':
        return order >= 0;
      default:
        throw new Error(`unsupported operator ${operator}`);
    }
  };

  const orExpression = (): boolean => {
    let result = andExpression();
    while (peek()?.toUpperCase() === 'OR') {
      take('OR');
      const right = andExpression();
      result = result || right;
    }
    return result;
  };
  const andExpression = (): boolean => {
    let result = unary();
    while (peek()?.toUpperCase() === 'AND') {
      take('AND');
      const right = unary();
      result = result && right;
    }
    return result;
  };
  const unary = (): boolean => {
    const token = take();
    if (token.toUpperCase() === 'NOT') return !unary();
    if (token === '(') {
      const result = orExpression();
      take(')');
      return result;
    }
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      take('(');
      const name = attributeName(take());
      const exists = item?.[name] !== undefined;
      take(')');
      return token === 'attribute_exists' ? exists : !exists;
    }
    const operator = take();
    return compare(operand(token), operator, operand(take()));
  };

  const result = orExpression();
  if (position !== tokens.length) throw new Error(`trailing tokens in: ${expression}`);
  return result;
};
