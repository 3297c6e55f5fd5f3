import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DeleteItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDbSender } from '../adapters/dynamodb-delivery-records';
import { evaluateCondition } from './condition-expression';

type Item = Record<string, AttributeValue>;

/**
 * One DynamoDB table in memory, keyed on `keyName`, that applies PutItem/DeleteItem the way DynamoDB does:
 * the ConditionExpression is evaluated against the stored item, a false condition throws the SDK's own
 * ConditionalCheckFailedException (with the old item when ALL_OLD is asked for) and writes nothing.
 */
export class FakeDynamoDbTable implements DynamoDbSender {
  readonly items = new Map<string, Item>();
  readonly commands: (PutItemCommand | DeleteItemCommand)[] = [];
  /** When set, the next send throws it (e.g. a throttling error) without touching the table. */
  failNextWith: Error | undefined;

  constructor(private readonly keyName: string) {}

  async send(command: PutItemCommand | DeleteItemCommand): Promise<unknown> {
    this.commands.push(command);
    if (this.failNextWith !== undefined) {
      const error = this.failNextWith;
      this.failNextWith = undefined;
      throw error;
    }
    const input = command.input;
    const keyItem = command instanceof PutItemCommand ? command.input.Item : command.input.Key;
    const key = keyItem?.[this.keyName]?.S;
    if (key === undefined) throw new Error(`missing string key ${this.keyName}`);
    const existing = this.items.get(key);

    if (
      input.ConditionExpression !== undefined &&
      !evaluateCondition(
        input.ConditionExpression,
        existing,
        input.ExpressionAttributeNames ?? {},
        input.ExpressionAttributeValues ?? {},
      )
    ) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400 },
        Item: input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? existing : undefined,
      });
    }
    if (command instanceof PutItemCommand) {
      this.items.set(key, { ...(command.input.Item ?? {}) });
    } else {
      this.items.delete(key);
    }
    return {};
  }
}
