import { backoffDelay, withRetries } from './retry';

class Transient extends Error {}

describe('withRetries', () => {
  const policy = { retries: 2, baseDelayMs: 100, maxDelayMs: 1000 };
  const isRetryable = (e: unknown) => e instanceof Transient;

  function recorder() {
    const delays: number[] = [];
    return { delays, environment: { sleep: async (ms: number) => void delays.push(ms), random: () => 0.5 } };
  }

  it('retries a retryable failure and returns the eventual result', async () => {
    const { delays, environment } = recorder();
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw new Transient('unavailable');
        return 'ok';
      },
      policy,
      isRetryable,
      environment,
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([50, 100]);
  });

  it('gives up after the retries with the last error', async () => {
    const { environment } = recorder();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw new Transient(`attempt ${calls}`);
        },
        policy,
        isRetryable,
        environment,
      ),
    ).rejects.toThrow('attempt 3');
    expect(calls).toBe(3);
  });

  it('with a deadline, retries without a count until the next retry would start past it', async () => {
    let clock = 0;
    const delays: number[] = [];
    const environment = {
      random: () => 0.5,
      now: () => clock,
      deadline: 3000,
      sleep: async (ms: number) => {
        delays.push(ms);
        clock += ms;
      },
    };
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          clock += 200; // each attempt takes 200 ms
          throw new Transient(`attempt ${calls}`);
        },
        { retries: Number.POSITIVE_INFINITY, baseDelayMs: 100, maxDelayMs: 1000 },
        isRetryable,
        environment,
      ),
    ).rejects.toThrow('attempt 7');
    // 200 +50 +200 +100 +200 +200 +200 +400 +200 +500 +200 = 2450; the next wait (500) would end at 2950,
    // then its attempt at 3150: the retry starts before the deadline, the one after would not.
    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
    expect(calls).toBe(7);
    expect(clock).toBeLessThan(3000 + 200);
  });

  it('with a deadline already past, still makes the first attempt and no retry', async () => {
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw new Transient('away');
        },
        { retries: Number.POSITIVE_INFINITY, baseDelayMs: 100, maxDelayMs: 1000 },
        isRetryable,
        { deadline: 0, now: () => 10, sleep: async () => {} },
      ),
    ).rejects.toThrow('away');
    expect(calls).toBe(1);
  });

  it('never retries what is not retryable', async () => {
    const { delays, environment } = recorder();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw new Error('refused');
        },
        policy,
        isRetryable,
        environment,
      ),
    ).rejects.toThrow('refused');
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });

  it('with zero retries calls once', async () => {
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw new Transient('x');
        },
        { ...policy, retries: 0 },
        isRetryable,
      ),
    ).rejects.toThrow('x');
    expect(calls).toBe(1);
  });
});

describe('backoffDelay (exponential, full jitter, capped)', () => {
  const policy = { retries: 10, baseDelayMs: 100, maxDelayMs: 1000 };

  it('draws from [0, base * 2^(n-1)) capped at the maximum', () => {
    expect(backoffDelay(policy, 1, () => 0.999)).toBe(99);
    expect(backoffDelay(policy, 3, () => 0.999)).toBe(399);
    expect(backoffDelay(policy, 8, () => 0.999)).toBe(999);
    expect(backoffDelay(policy, 8, () => 0)).toBe(0);
  });
});
