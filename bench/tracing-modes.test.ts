import { benchNumber, parseTracingModes, tracingCost, tracingEnvironment } from './tracing-modes';

describe('the order bench’s --tracing modes', () => {
  it('runs off and then on by default, or what --tracing names', () => {
    expect(parseTracingModes([])).toEqual(['off', 'on']);
    expect(parseTracingModes(['--tracing=both'])).toEqual(['off', 'on']);
    expect(parseTracingModes(['--tracing=on'])).toEqual(['on']);
    expect(parseTracingModes(['--tracing=off'])).toEqual(['off']);
  });

  it('turns the SDK off, not the propagation, in the off mode', () => {
    expect(tracingEnvironment('off')).toEqual({ OTEL_SDK_DISABLED: 'true' });
    expect(tracingEnvironment('on')).toEqual({ OTEL_SDK_DISABLED: 'false' });
  });

  it.each([
    [['--tracing=maybe'], "'--tracing' must be off, on or both, got 'maybe'"],
    [['--tracing='], "'--tracing' must be off, on or both, got ''"],
    [['--tracing'], "'--tracing' must be off, on or both, got no value"],
    [['--trace=on'], "unknown argument '--trace=on': the order bench takes --tracing=off|on|both"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseTracingModes(argv)).toThrow(message);
  });

  it('states the cost as the share of throughput lost with tracing on', () => {
    expect(tracingCost(200, 180)).toBeCloseTo(10);
    expect(tracingCost(200, 210)).toBeCloseTo(-5);
    expect(() => tracingCost(0, 10)).toThrow('the run with tracing off must have served requests, got 0/s');
  });

  it('reads a whole number from the environment, its default when unset, and refuses anything else', () => {
    expect(benchNumber('BENCH_SETTLE_S', undefined, 40)).toBe(40);
    expect(benchNumber('BENCH_SETTLE_S', '', 40)).toBe(40);
    expect(benchNumber('BENCH_SETTLE_S', '0', 40)).toBe(0);
    expect(benchNumber('BENCH_DURATION_S', '45', 15, 1)).toBe(45);
    for (const bad of ['abc', '1.5', '-3', 'Infinity', '12s']) {
      expect(() => benchNumber('BENCH_SETTLE_S', bad, 40)).toThrow(
        `BENCH_SETTLE_S must be a whole number from 0, got '${bad}'`,
      );
    }
    expect(() => benchNumber('BENCH_DURATION_S', '0', 15, 1)).toThrow(
      "BENCH_DURATION_S must be a whole number from 1, got '0'",
    );
  });
});
