import { PropertyValidationError, parseProperties } from './properties';

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
const MASTER = ARN('platform/master');

function props(databases: unknown, extra: Record<string, unknown> = {}) {
  return {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    MasterSecretArn: MASTER,
    Databases: databases,
    ...extra,
  };
}

const orders = { name: 'orders', owner: 'order_service', secretArn: ARN('orders') };
const payments = { name: 'payments', owner: 'payment_service', secretArn: ARN('payments') };

describe('parseProperties', () => {
  it('accepts the contract and drops ServiceToken', () => {
    expect(parseProperties(props([orders, payments]))).toEqual({
      masterSecretArn: MASTER,
      databases: [orders, payments],
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'nope', /^ResourceProperties: must be an object \(got "nope"\)/],
    ['unknown top-level key', props([orders], { Extra: 1 }), /^ResourceProperties\.Extra: unknown property.*\(got 1\)/],
    [
      'bad master arn',
      { ...props([orders]), MasterSecretArn: 'master' },
      /^MasterSecretArn: must be a Secrets Manager secret ARN.*\(got "master"\)/,
    ],
    ['missing master arn', { Databases: [orders] }, /^MasterSecretArn: .*\(got undefined\)/],
    ['Databases not an array', props('orders'), /^Databases: must be a non-empty array.*\(got "orders"\)/],
    ['Databases empty', props([]), /^Databases: must be a non-empty array.*\(got \[\]\)/],
    ['entry not an object', props([orders, 'x']), /^Databases\[1\]: must be an object.*\(got "x"\)/],
    ['unknown entry key', props([{ ...orders, password: 'x' }]), /^Databases\[0\]\.password: unknown property/],
    ['upper-case name', props([{ ...orders, name: 'Orders' }]), /^Databases\[0\]\.name: must match .*\(got "Orders"\)/],
    [
      'injection attempt in name',
      props([{ ...orders, name: 'orders"; DROP DATABASE postgres; --' }]),
      /^Databases\[0\]\.name: must match .*\(got "orders\\"; DROP DATABASE postgres; --"\)/,
    ],
    [
      'quote in owner',
      props([{ ...orders, owner: "o'wner" }]),
      /^Databases\[0\]\.owner: must match .*\(got "o'wner"\)/,
    ],
    ['too long owner', props([{ ...orders, owner: 'a'.repeat(64) }]), /^Databases\[0\]\.owner: must match/],
    ['numeric name', props([{ ...orders, name: 5 }]), /^Databases\[0\]\.name: must match .*\(got 5\)/],
    ['leading digit', props([{ ...orders, owner: '9lives' }]), /^Databases\[0\]\.owner: must match .*\(got "9lives"\)/],
    ['space', props([{ ...orders, name: 'my db' }]), /^Databases\[0\]\.name: must match .*\(got "my db"\)/],
    [
      'reserved database',
      props([{ ...orders, name: 'template1' }]),
      /^Databases\[0\]\.name: is a reserved database name \(got "template1"\)/,
    ],
    [
      'reserved role',
      props([{ ...orders, owner: 'public' }]),
      /^Databases\[0\]\.owner: is a reserved role name.*\(got "public"\)/,
    ],
    [
      'pg_ role',
      props([{ ...orders, owner: 'pg_monitor' }]),
      /^Databases\[0\]\.owner: is a reserved role name.*\(got "pg_monitor"\)/,
    ],
    ['rds_ role', props([{ ...orders, owner: 'rds_superuser' }]), /^Databases\[0\]\.owner: is a reserved role name/],
    [
      '_clone role',
      props([{ ...orders, owner: 'order_service_clone' }]),
      /^Databases\[0\]\.owner: must not end in _clone/,
    ],
    [
      'bad secret arn',
      props([{ ...orders, secretArn: 'orders-secret' }]),
      /^Databases\[0\]\.secretArn: must be a Secrets Manager secret ARN.*\(got "orders-secret"\)/,
    ],
    [
      'duplicate name',
      props([orders, { ...payments, name: 'orders' }]),
      /^Databases\[1\]\.name: duplicates Databases\[0\]\.name \(got "orders"\)/,
    ],
    [
      'duplicate owner',
      props([orders, { ...payments, owner: 'order_service' }]),
      /^Databases\[1\]\.owner: duplicates Databases\[0\]\.owner.*\(got "order_service"\)/,
    ],
    [
      'duplicate secret',
      props([orders, { ...payments, secretArn: orders.secretArn }]),
      /^Databases\[1\]\.secretArn: duplicates Databases\[0\]\.secretArn/,
    ],
    [
      'master secret reused',
      props([{ ...orders, secretArn: MASTER }]),
      /^Databases\[0\]\.secretArn: must not be the master secret/,
    ],
  ])('rejects %s', (_label, raw, message) => {
    expect(() => parseProperties(raw)).toThrow(PropertyValidationError);
    expect(() => parseProperties(raw)).toThrow(message);
  });
});
