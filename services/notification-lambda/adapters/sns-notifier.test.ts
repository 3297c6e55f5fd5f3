import { PublishCommand, type PublishCommandOutput } from '@aws-sdk/client-sns';
import type { Notification } from '../domain/ports';
import { SnsNotifier, type SnsPublisher } from './sns-notifier';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:shopfront-dev-order-confirmations';

const notification: Notification = {
  eventId: 'evt-1',
  eventType: 'com.shopfront.order.created.v1',
  orderId: 'ord_1',
  recipient: 'ada@example.com',
  subject: 'Order confirmation',
  body: 'Thank you for your order ord_1. Total: €74.48.',
};

class FakeSns implements SnsPublisher {
  readonly commands: PublishCommand[] = [];
  constructor(private readonly output: Partial<PublishCommandOutput> = { MessageId: 'sns-msg-1' }) {}
  async send(command: PublishCommand): Promise<PublishCommandOutput> {
    this.commands.push(command);
    return { $metadata: {}, ...this.output };
  }
}

describe('SnsNotifier', () => {
  it('publishes one message to the topic with the subject, the body and the routing attributes', async () => {
    const sns = new FakeSns();
    const result = await new SnsNotifier(sns, TOPIC_ARN).send(notification);

    expect(result).toEqual({ messageId: 'sns-msg-1' });
    expect(sns.commands).toHaveLength(1);
    expect(sns.commands[0]).toBeInstanceOf(PublishCommand);
    expect(sns.commands[0]?.input).toEqual({
      TopicArn: TOPIC_ARN,
      Subject: 'Order confirmation',
      Message: 'Thank you for your order ord_1. Total: €74.48.',
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: 'com.shopfront.order.created.v1' },
        eventId: { DataType: 'String', StringValue: 'evt-1' },
        orderId: { DataType: 'String', StringValue: 'ord_1' },
        recipient: { DataType: 'String', StringValue: 'ada@example.com' },
      },
    });
  });

  it('keeps the e-mail address out of the message body', async () => {
    const sns = new FakeSns();
    await new SnsNotifier(sns, TOPIC_ARN).send(notification);
    expect(sns.commands[0]?.input.Message).not.toContain('@');
  });

  it('lets a rejected publish (throttling) reach the caller so the record is retried', async () => {
    const throttled: SnsPublisher = {
      send: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' });
      },
    };
    await expect(new SnsNotifier(throttled, TOPIC_ARN).send(notification)).rejects.toThrow('Rate exceeded');
  });
});
