import * as path from 'node:path';
import type { Logger } from '../logger';
import type { EventBus } from './bus';
import { LocalEventLog } from './local-log';
import { openKafkaEventBus } from './open-kafka';

export interface StandaloneBusOptions {
  /** The service's name: Kafka's client id and the log's wording. */
  readonly service: string;
  readonly brokers?: readonly string[];
  readonly mskIamRegion?: string;
  /** Where the local event log lives when there are no brokers (`<dataDir>/events`). */
  readonly dataDir: string;
  /** Partitions per topic of the local event log. */
  readonly partitions: Readonly<Record<string, number>>;
  readonly logger: Logger;
}

/**
 * The bus of a consumer run as its own process: Kafka when brokers are configured, else a local event log of
 * this process only (which sees nothing another process publishes: the local platform shares one log instead).
 */
export async function openStandaloneEventBus(options: StandaloneBusOptions): Promise<EventBus> {
  if (options.brokers && options.brokers.length > 0) {
    return openKafkaEventBus({
      brokers: options.brokers,
      clientId: options.service,
      logger: options.logger,
      mskIamRegion: options.mskIamRegion,
    });
  }
  options.logger.warn('KAFKA_BROKERS is not set: consuming a local event log of this process only (use `npm start`)');
  return new LocalEventLog({
    partitions: { ...options.partitions },
    dataDir: path.join(options.dataDir, 'events'),
    logger: options.logger,
  });
}
