import type { Logger as PinoLogger } from '../../../lib/runtime/logger';
import type { Logger } from '../domain/ports';

/**
 * The domain's logger port over the kit's pino logger, for the local platform: the domain writes
 * `(message, fields)`, pino takes `(fields, message)`. Fields stay the domain's allow-list (ids, codes).
 */
export const fromPino = (logger: PinoLogger): Logger => ({
  info: (message, fields) => logger.info({ ...fields }, message),
  warn: (message, fields) => logger.warn({ ...fields }, message),
  error: (message, fields) => logger.error({ ...fields }, message),
});
