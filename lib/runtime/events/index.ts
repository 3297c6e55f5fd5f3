export * from './bus';
export type { KafkaBusOptions } from './kafka';
export * from './local-log';
export * from './open-kafka';
export * from './postgres-log';
export * from './standalone';
