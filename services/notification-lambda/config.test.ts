import { ConfigError as KitConfigError, loadConfig as loadKitConfig } from '../../lib/runtime/config';
import { ConfigError, loadConfig } from './config';
import { localConfigShape } from './local-config';

const valid = {
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:shopfront-dev-order-confirmations',
  DELIVERY_TABLE_NAME: 'shopfront-dev-notification-deliveries',
};

const configError = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
};

describe('loadConfig', () => {
  it('reads the variables and defaults the record TTL to 30 days', () => {
    expect(loadConfig(valid)).toEqual({
      notificationTopicArn: valid.NOTIFICATION_TOPIC_ARN,
      deliveryTableName: valid.DELIVERY_TABLE_NAME,
      deliveryRecordTtlDays: 30,
    });
  });

  it('reads an explicit TTL, and treats an empty one as unset', () => {
    expect(loadConfig({ ...valid, DELIVERY_RECORD_TTL_DAYS: '45' }).deliveryRecordTtlDays).toBe(45);
    expect(loadConfig({ ...valid, DELIVERY_RECORD_TTL_DAYS: '' }).deliveryRecordTtlDays).toBe(30);
  });

  it.each(['NOTIFICATION_TOPIC_ARN', 'DELIVERY_TABLE_NAME'] as const)('names %s when it is missing', (variable) => {
    const env: NodeJS.ProcessEnv = { ...valid };
    delete env[variable];
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(`${variable} is required`);
  });

  it('names a variable that is set but blank', () => {
    expect(configError({ ...valid, DELIVERY_TABLE_NAME: '  ' }).variable).toBe('DELIVERY_TABLE_NAME');
  });

  it('rejects a topic ARN that is not an SNS topic ARN, quoting the bad value', () => {
    const error = configError({ ...valid, NOTIFICATION_TOPIC_ARN: 'arn:aws:sqs:eu-west-1:123456789012:q' });
    expect(error.variable).toBe('NOTIFICATION_TOPIC_ARN');
    expect(error.message).toContain('must be an SNS topic ARN');
    expect(error.message).toContain("got 'arn:aws:sqs:eu-west-1:123456789012:q'");
  });

  it.each(['abc', '1.5', '0', '-3', '99999'])('rejects DELIVERY_RECORD_TTL_DAYS=%s', (value) => {
    const error = configError({ ...valid, DELIVERY_RECORD_TTL_DAYS: value });
    expect(error.variable).toBe('DELIVERY_RECORD_TTL_DAYS');
    expect(error.message).toContain('DELIVERY_RECORD_TTL_DAYS');
  });

  it('lists every bad variable in one message', () => {
    const error = configError({});
    expect(error.message).toContain('NOTIFICATION_TOPIC_ARN is required');
    expect(error.message).toContain('DELIVERY_TABLE_NAME is required');
  });
});

describe('the local notifier configuration (run as its own process)', () => {
  it('defaults to no database and no brokers, and reads both when set', () => {
    expect(loadKitConfig(localConfigShape, {})).toMatchObject({ DATA_DIR: '.data' });
    expect(loadKitConfig(localConfigShape, {}).KAFKA_BROKERS).toBeUndefined();
    const config = loadKitConfig(localConfigShape, {
      KAFKA_BROKERS: '127.0.0.1:9092,broker-2:9092',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
    });
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', 'broker-2:9092']);
    expect(config.DATABASE_URL).toBe('postgres://u:p@127.0.0.1:5432/db');
  });

  it.each([
    ['KAFKA_BROKERS', 'localhost', 'comma-separated list of host:port'],
    ['KAFKA_BROKERS', 'a:1,,b:2', 'comma-separated list of host:port'],
    ['DATABASE_URL', 'mysql://x', 'postgres://'],
    ['KAFKA_MSK_IAM_REGION', 'Europe', 'AWS region'],
  ])('rejects %s=%s, naming it', (variable, value, allowed) => {
    expect(() => loadKitConfig(localConfigShape, { [variable]: value })).toThrow(KitConfigError);
    expect(() => loadKitConfig(localConfigShape, { [variable]: value })).toThrow(variable);
    expect(() => loadKitConfig(localConfigShape, { [variable]: value })).toThrow(allowed);
  });
});
