import { DeleteItemCommand, ProvisionedThroughputExceededException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { FakeClock } from '../test-support/clock';
import { FakeDynamoDbTable } from '../test-support/fake-dynamodb';
import { describeDeliveryRecordsContract } from './delivery-records.contract';
import { DynamoDbDeliveryRecords } from './dynamodb-delivery-records';

const TABLE = 'shopfront-dev-notification-deliveries';

describeDeliveryRecordsContract(
  'DynamoDbDeliveryRecords (against a table that evaluates its condition expressions)',
  (clock) =>
    new DynamoDbDeliveryRecords(new FakeDynamoDbTable('eventId'), { tableName: TABLE, ttlDays: 30, now: clock.now }),
);

describe('DynamoDbDeliveryRecords', () => {
  let clock: FakeClock;
  let table: FakeDynamoDbTable;
  let records: DynamoDbDeliveryRecords;
  const lease = () => new Date(clock.now().getTime() + 60_000);

  beforeEach(() => {
    clock = new FakeClock('2025-11-26T09:00:00.000Z');
    table = new FakeDynamoDbTable('eventId');
    records = new DynamoDbDeliveryRecords(table, { tableName: TABLE, ttlDays: 30, now: clock.now });
  });

  it('claims with a conditional put keyed on eventId, with the lease in ms and the TTL in epoch seconds', async () => {
    await records.claim('evt-1', lease());
    const [command] = table.commands;
    expect(command).toBeInstanceOf(PutItemCommand);
    expect(command?.input).toMatchObject({ TableName: TABLE, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(table.items.get('evt-1')).toEqual({
      eventId: { S: 'evt-1' },
      status: { S: 'IN_PROGRESS' },
      leaseExpiresAtMs: { N: String(Date.parse('2025-11-26T09:01:00.000Z')) },
      expiresAt: { N: String(Date.parse('2025-12-26T09:00:00.000Z') / 1000) },
    });
  });

  it('does not overwrite a live claim: the losing put writes nothing', async () => {
    await records.claim('evt-1', lease());
    const before = table.items.get('evt-1');
    clock.advance(1_000);
    expect(await records.claim('evt-1', lease())).toBe('in-progress');
    expect(table.items.get('evt-1')).toEqual(before);
  });

  it('completes with the message id and a fresh TTL', async () => {
    await records.claim('evt-1', lease());
    clock.advance(2_000);
    await records.complete('evt-1', 'sns-message-1');
    expect(table.items.get('evt-1')).toEqual({
      eventId: { S: 'evt-1' },
      status: { S: 'COMPLETED' },
      messageId: { S: 'sns-message-1' },
      expiresAt: { N: String(Date.parse('2025-12-26T09:00:02.000Z') / 1000) },
    });
  });

  it('releases with a delete conditioned on the claim still being in progress', async () => {
    await records.claim('evt-1', lease());
    await records.release('evt-1');
    expect(table.commands.at(-1)).toBeInstanceOf(DeleteItemCommand);
    expect(table.items.has('evt-1')).toBe(false);
  });

  it('propagates a throttled claim instead of mistaking it for a duplicate', async () => {
    table.failNextWith = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    await expect(records.claim('evt-1', lease())).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  it('propagates a failed release other than a failed condition', async () => {
    await records.claim('evt-1', lease());
    table.failNextWith = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    await expect(records.release('evt-1')).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
  });

  it('reads a rejected claim as in progress when DynamoDB returns no old item', async () => {
    const silent = new FakeDynamoDbTable('eventId');
    const store = new DynamoDbDeliveryRecords(
      { send: (command) => silent.send(stripReturnValues(command)) },
      { tableName: TABLE, ttlDays: 30, now: clock.now },
    );
    await store.claim('evt-1', lease());
    await store.complete('evt-1', 'msg-1');
    // Without the old item the adapter cannot prove "completed", so it asks for a retry, never a resend.
    expect(await store.claim('evt-1', lease())).toBe('in-progress');
  });
});

const stripReturnValues = (command: PutItemCommand | DeleteItemCommand) =>
  command instanceof PutItemCommand
    ? new PutItemCommand({ ...command.input, ReturnValuesOnConditionCheckFailure: undefined })
    : command;
