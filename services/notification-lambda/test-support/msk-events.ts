import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { exampleEventObject } from '../../../lib/events/test-fixtures';

export const TOPIC = 'orders';

/** An order.created v1 event from the shared examples, with its own event and order ids. */
export const orderEvent = (eventId: string, orderId = `ord_${eventId}`): Record<string, unknown> => {
  const event = exampleEventObject();
  const data = event.data as Record<string, unknown>;
  return { ...event, id: eventId, subject: orderId, data: { ...data, orderId } };
};

/** A record value: an object is sent as JSON; a string is sent as is (to build poison records). */
export type RecordPayload = Record<string, unknown> | string;

export interface RecordSpec {
  readonly partition?: number;
  readonly offset: number;
  readonly payload: RecordPayload;
  /** Kafka headers, sent as Lambda delivers them: one object per header, its value as a list of bytes. */
  readonly headers?: Readonly<Record<string, string>>;
}

const mskRecord = ({ partition = 0, offset, payload, headers = {} }: RecordSpec): MSKRecord => ({
  topic: TOPIC,
  partition,
  offset,
  timestamp: 1764147600000,
  timestampType: 'CREATE_TIME',
  key: Buffer.from(`key-${offset}`).toString('base64'),
  value: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64'),
  headers: Object.entries(headers).map(([name, value]) => ({ [name]: [...Buffer.from(value, 'latin1')] })),
});

/** An MSK event as Lambda delivers it: records grouped under "<topic>-<partition>", values base64. */
export const mskEvent = (specs: readonly RecordSpec[]): MSKEvent => {
  const records: MSKEvent['records'] = {};
  for (const spec of specs) {
    const key = `${TOPIC}-${spec.partition ?? 0}`;
    records[key] = [...(records[key] ?? []), mskRecord(spec)];
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/shopfront-dev/abcd1234-ef56-7890-abcd-ef1234567890-1',
    bootstrapServers: 'b-1.shopfront-dev.kafka.eu-west-1.amazonaws.com:9098',
    records,
  };
};
