import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ClaimOutcome, DeliveryRecords } from '../domain/ports';

/** The slice of DynamoDBClient this adapter uses, so tests can pass a fake. */
export interface DynamoDbSender {
  send(command: PutItemCommand | DeleteItemCommand): Promise<unknown>;
}

export interface DynamoDbDeliveryRecordsProps {
  /** Table with partition key `eventId` (string) and TTL on `expiresAt`. */
  readonly tableName: string;
  /** How long a record is kept; must outlast the topic's retention, or a replay notifies again. */
  readonly ttlDays: number;
  /** @default - the system clock */
  readonly now?: () => Date;
}

export const IN_PROGRESS = 'IN_PROGRESS';
export const COMPLETED = 'COMPLETED';

const SECONDS_PER_DAY = 86_400;

/** Table layout: `eventId` (S, key), `status` (S), `leaseExpiresAtMs` (N), `messageId` (S), `expiresAt` (N, TTL). */
export class DynamoDbDeliveryRecords implements DeliveryRecords {
  private readonly now: () => Date;

  constructor(
    private readonly dynamodb: DynamoDbSender,
    private readonly props: DynamoDbDeliveryRecordsProps,
  ) {
    this.now = props.now ?? (() => new Date());
  }

  async claim(eventId: string, leaseExpiresAt: Date): Promise<ClaimOutcome> {
    const now = this.now();
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.props.tableName,
          Item: {
            eventId: { S: eventId },
            status: { S: IN_PROGRESS },
            leaseExpiresAtMs: { N: String(leaseExpiresAt.getTime()) },
            expiresAt: { N: this.expiresAt(now) },
          },
          // New event, or a claim whose holder's lease has lapsed (it crashed or timed out).
          // A COMPLETED record never matches, so a sent notification is never sent again.
          ConditionExpression: 'attribute_not_exists(eventId) OR (#status = :inProgress AND leaseExpiresAtMs < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': { S: IN_PROGRESS }, ':now': { N: String(now.getTime()) } },
          // Tells a duplicate (COMPLETED) from a live claim (IN_PROGRESS) without a second read.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return statusOf(error.Item) === COMPLETED ? 'completed' : 'in-progress';
      }
      throw error;
    }
  }

  async complete(eventId: string, messageId: string): Promise<void> {
    await this.dynamodb.send(
      new PutItemCommand({
        TableName: this.props.tableName,
        Item: {
          eventId: { S: eventId },
          status: { S: COMPLETED },
          messageId: { S: messageId },
          expiresAt: { N: this.expiresAt(this.now()) },
        },
      }),
    );
  }

  async release(eventId: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.props.tableName,
          Key: { eventId: { S: eventId } },
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': { S: IN_PROGRESS } },
        }),
      );
    } catch (error) {
      // Already completed or already gone: there is no claim to give back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** DynamoDB TTL wants epoch seconds. */
  private expiresAt(now: Date): string {
    return String(Math.floor(now.getTime() / 1000) + this.props.ttlDays * SECONDS_PER_DAY);
  }
}

const statusOf = (item: Record<string, AttributeValue> | undefined): string | undefined => item?.status?.S;
