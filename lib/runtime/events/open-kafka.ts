import type { EventBus } from './bus';
import type { KafkaBusOptions } from './kafka';

/**
 * A Kafka bus, with kafkajs (143 modules) loaded only now: a service on the PostgreSQL event log, as every
 * service of `npm start` is, never loads it into its event loop's heap.
 */
export function openKafkaEventBus(options: KafkaBusOptions): Promise<EventBus> {
  const { KafkaEventBus } = require('./kafka') as typeof import('./kafka');
  return KafkaEventBus.create(options);
}
