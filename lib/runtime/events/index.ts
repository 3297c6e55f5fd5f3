export * from './bus';
export * from './kafka';
export * from './local-log';
export * from './standalone';
