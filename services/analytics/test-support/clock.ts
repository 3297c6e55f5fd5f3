import type { Clock } from '../job';

/** Processing time that moves only when a test moves it. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start = '2025-11-26T09:00:00.000Z') {
    this.current = Date.parse(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
