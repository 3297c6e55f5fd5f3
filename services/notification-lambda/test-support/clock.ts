/** A clock tests move by hand. */
export class FakeClock {
  private current: number;

  constructor(start = '2025-11-26T09:00:00.000Z') {
    this.current = Date.parse(start);
  }

  readonly now = (): Date => new Date(this.current);

  advance(ms: number): void {
    this.current += ms;
  }
}
