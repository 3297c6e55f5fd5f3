import { existsSync } from 'node:fs';
import { shop } from '../lib/platform';
import { entryPoint, PLATFORM_SERVICES } from './platform';

describe('the platform composition', () => {
  const names = PLATFORM_SERVICES.map((s) => s.name);

  it('starts every component of the catalog once', () => {
    expect([...names].sort()).toEqual(shop.catalog.services.map((s) => s.name).sort());
  });

  it.each(shop.catalog.services.map((s) => [s.name, s.calls] as const))(
    'starts %s after every peer it calls',
    (name, calls) => {
      for (const peer of calls) expect(names.indexOf(peer)).toBeLessThan(names.indexOf(name));
    },
  );

  it.each(names.map((n) => [n]))('runs %s as a process of its own from a main.ts that exists', (name) => {
    expect(existsSync(entryPoint(name))).toBe(true);
  });

  it('refuses a name that is not in the catalog', () => {
    expect(() => entryPoint('basket-service')).toThrow(/unknown service 'basket-service'/);
  });
});
