import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const examplesDir = join(__dirname, 'examples');

/** Every example event file, by name; tests here and in consumers load them so examples never rot. */
export const exampleEventFiles = (): string[] => readdirSync(examplesDir).filter((name) => name.endsWith('.json'));

export const readExampleEvent = (name: string): string => readFileSync(join(examplesDir, name), 'utf8');

/** A mutable copy of an example, for tests that break one field. */
export const exampleEventObject = (name = 'order-created.v1.json'): Record<string, unknown> =>
  JSON.parse(readExampleEvent(name)) as Record<string, unknown>;
