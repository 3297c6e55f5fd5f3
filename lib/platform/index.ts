export * from './catalog';
export * from './deployment';
export * from './query';
export * from './types';
export * from './validate';

import { platform } from './catalog';
import { PlatformQuery } from './query';

/** The platform's catalog with its query helpers. */
export const shop = new PlatformQuery(platform);
export * from './wiring';
