import { Template } from 'aws-cdk-lib/assertions';
import { shop } from '../../../lib/platform';
import { masked, stacksOf } from './fixture';

describe.each(shop.environmentNames)('%s stacks', (environment) => {
  const set = stacksOf(environment);
  it.each(Object.entries(set))('%s template matches its snapshot', (_name, stack) => {
    expect(masked(Template.fromStack(stack))).toMatchSnapshot();
  });
});
