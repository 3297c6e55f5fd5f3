import { shop } from '../../../lib/platform';
import { synthesize } from './fixture';

/** The job's files are compared with the repository by security.test.ts; here their content and version are masked. */
function masked(json: string): unknown {
  const tf = JSON.parse(json.replace(/[0-9a-f]{12}(?=[/"])/g, '[VERSION]'));
  for (const object of Object.values(tf.resource.google_storage_bucket_object ?? {}) as { content?: string }[]) {
    object.content = '[FILE CONTENT]';
  }
  return tf;
}

describe.each(shop.environmentNames)('%s', (environment) => {
  it('synthesizes the Terraform JSON of its snapshot', () => {
    expect(masked(synthesize(environment).json)).toMatchSnapshot();
  });
});
