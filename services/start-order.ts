import { type ServiceSpec, shop } from '../lib/platform';

/**
 * Every component of the catalog by name, each after the peers it calls (a caller's wiring needs its peers'
 * ports). Read from the catalog alone, so a supervisor can order services without loading their code.
 */
export const START_ORDER: readonly string[] = (() => {
  const ordered: string[] = [];
  const visit = (spec: ServiceSpec, path: readonly string[]) => {
    if (ordered.includes(spec.name)) return;
    if (path.includes(spec.name))
      throw new Error(`the catalog's calls form a cycle: ${[...path, spec.name].join(' -> ')}`);
    for (const peer of spec.calls) visit(shop.service(peer), [...path, spec.name]);
    ordered.push(spec.name);
  };
  for (const spec of shop.catalog.services) visit(spec, []);
  return ordered;
})();
