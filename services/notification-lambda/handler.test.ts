type HandlerModule = typeof import('./handler');

/** Loads handler.ts as a cold start would, with exactly `env` as the environment. */
const coldStart = (env: NodeJS.ProcessEnv): HandlerModule => {
  const saved = process.env;
  process.env = { ...env };
  try {
    let loaded: HandlerModule | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<HandlerModule>('./handler');
    });
    if (loaded === undefined) throw new Error('handler module did not load');
    return loaded;
  } finally {
    process.env = saved;
  }
};

describe('handler cold start', () => {
  it('fails the init phase with a ConfigError naming the missing variable', () => {
    // isolateModules loads a fresh copy of config.ts, so match the error by name rather than by class.
    expect(() => coldStart({ DELIVERY_TABLE_NAME: 'shopfront-dev-notification-deliveries' })).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        variable: 'NOTIFICATION_TOPIC_ARN',
        message: expect.stringContaining('NOTIFICATION_TOPIC_ARN is required'),
      }),
    );
  });

  it('exports the Lambda entry point as `handler` when the environment is valid', () => {
    const module = coldStart({
      AWS_REGION: 'eu-west-1',
      NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:shopfront-dev-order-confirmations',
      DELIVERY_TABLE_NAME: 'shopfront-dev-notification-deliveries',
    });
    expect(typeof module.handler).toBe('function');
  });
});
