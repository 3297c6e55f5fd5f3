export * from './bus';
export * from './kafka';
export * from './local-log';
export * from './postgres-log';
export * from './standalone';
export * from './traced';
