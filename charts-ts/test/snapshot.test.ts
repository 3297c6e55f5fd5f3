import { shop } from '../../lib/platform';
import { synth } from './helpers';

// One snapshot per environment of what the root Application syncs; everything else is asserted field by field,
// and the drift test pins the bytes of every file.
describe.each(shop.environmentNames)('%s', (env) => {
  test('platform manifests', () => {
    expect(synth(shop, env).platform).toMatchSnapshot();
  });
});
