export { codePoints, fieldOf, parseOrThrow, UUID } from '../../../lib/runtime/validation';
