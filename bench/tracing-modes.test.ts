import { parseTracingModes, tracingCost, tracingEnvironment } from './tracing-modes';

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
});
