import { Sleeper } from './sleeper';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** Whether the promise settled once pending callbacks ran (fake timers: no time passes). */
const settled = async (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await Promise.resolve();
  await Promise.resolve();
  return done;
};

describe('Sleeper', () => {
  it('sleeps the time given, unless woken', async () => {
    const sleeper = new Sleeper();
    const sleeping = sleeper.sleep(200);
    jest.advanceTimersByTime(199);
    expect(await settled(sleeping)).toBe(false);
    jest.advanceTimersByTime(1);
    expect(await settled(sleeping)).toBe(true);
  });

  it('ends a sleep when woken', async () => {
    const sleeper = new Sleeper();
    const sleeping = sleeper.sleep(200);
    sleeper.wake();
    expect(await settled(sleeping)).toBe(true);
  });

  it('keeps a wake that came while nobody slept for the next sleep, once', async () => {
    const sleeper = new Sleeper();
    sleeper.wake();
    sleeper.wake();
    expect(await settled(sleeper.sleep(200))).toBe(true);
    // The kept wake is used up: the sleep after it lasts.
    const next = sleeper.sleep(200);
    jest.advanceTimersByTime(100);
    expect(await settled(next)).toBe(false);
    jest.advanceTimersByTime(100);
    expect(await settled(next)).toBe(true);
  });
});

describe('Sleeper with a linger', () => {
  it('ends a woken sleep after the linger, however many wakes come meanwhile', async () => {
    const sleeper = new Sleeper(20);
    const sleeping = sleeper.sleep(200);
    sleeper.wake();
    jest.advanceTimersByTime(10);
    sleeper.wake();
    jest.advanceTimersByTime(9);
    expect(await settled(sleeping)).toBe(false);
    jest.advanceTimersByTime(1);
    expect(await settled(sleeping)).toBe(true);
  });

  it('lingers after a wake kept from while nobody slept, never longer than the sleep asked', async () => {
    const sleeper = new Sleeper(20);
    sleeper.wake();
    const lingering = sleeper.sleep(200);
    jest.advanceTimersByTime(19);
    expect(await settled(lingering)).toBe(false);
    jest.advanceTimersByTime(1);
    expect(await settled(lingering)).toBe(true);
    sleeper.wake();
    const short = sleeper.sleep(5);
    jest.advanceTimersByTime(5);
    expect(await settled(short)).toBe(true);
  });

  it('ends at once when woken now, lingering or not', async () => {
    const sleeper = new Sleeper(20);
    const sleeping = sleeper.sleep(200);
    sleeper.wake();
    sleeper.wake({ now: true });
    expect(await settled(sleeping)).toBe(true);
    const again = sleeper.sleep(200);
    sleeper.wake({ now: true });
    expect(await settled(again)).toBe(true);
  });
});
