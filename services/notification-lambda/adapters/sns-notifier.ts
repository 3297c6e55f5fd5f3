import { PublishCommand, type PublishCommandOutput } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '../domain/ports';

/** The slice of SNSClient this adapter uses, so tests can pass a fake. */
export interface SnsPublisher {
  send(command: PublishCommand): Promise<PublishCommandOutput>;
}

const stringAttribute = (value: string) => ({ DataType: 'String', StringValue: value });

/**
 * Publishes confirmations to one SNS topic. The body holds only the order id and total, so it is safe to
 * land in an ops mailbox or a log; the address travels as the `recipient` attribute for the subscriber that
 * delivers to the customer (attributes also let a subscription filter on `eventType`).
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SnsPublisher,
    private readonly topicArn: string,
  ) {}

  async send(notification: Notification): Promise<{ messageId: string }> {
    const output = await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: notification.subject,
        Message: notification.body,
        MessageAttributes: {
          eventType: stringAttribute(notification.eventType),
          eventId: stringAttribute(notification.eventId),
          orderId: stringAttribute(notification.orderId),
          recipient: stringAttribute(notification.recipient),
        },
      }),
    );
    // A publish that did not throw was accepted; failing it now would only send a duplicate on retry.
    return { messageId: output.MessageId ?? 'unknown' };
  }
}
