import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { loadTracingConfig, Tracing } from '../../lib/runtime/tracing';
import { DynamoDbDeliveryRecords } from './adapters/dynamodb-delivery-records';
import { createJsonLogger } from './adapters/json-logger';
import { SnsNotifier } from './adapters/sns-notifier';
import { loadConfig } from './config';
import { createMskHandler } from './transport/msk';

// Composition root, run once per cold start: a bad environment fails the init phase with a ConfigError
// naming the variable, before any record is read.
const config = loadConfig(process.env);
// Only /tmp is writable in Lambda: spans are recorded when a collector is set (the Notifications stack sets the
// cluster's, behind its internal load balancer).
const tracingConfig = loadTracingConfig(process.env);
const tracing = new Tracing({
  service: 'notification-lambda',
  config: tracingConfig.OTEL_EXPORTER_OTLP_ENDPOINT ? tracingConfig : { ...tracingConfig, OTEL_SDK_DISABLED: 'true' },
});

/** Lambda entry point for the MSK event source mapping on topic `orders` (ReportBatchItemFailures on). */
export const handler = createMskHandler({
  notifier: new SnsNotifier(new SNSClient({}), config.notificationTopicArn),
  deliveryRecords: new DynamoDbDeliveryRecords(new DynamoDBClient({}), {
    tableName: config.deliveryTableName,
    ttlDays: config.deliveryRecordTtlDays,
  }),
  logger: createJsonLogger({ service: 'notification-lambda' }),
  tracing,
});
