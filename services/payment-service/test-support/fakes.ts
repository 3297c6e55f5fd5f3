import type {
  CardProcessor,
  ProcessorCharge,
  ProcessorChargeRequest,
  ProcessorRefund,
  ProcessorRefundRequest,
} from '../domain/card-processor';

/** A promise with its resolve handle: a gate a test opens when it chooses. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = () => resolve();
  });
  return { promise, open: () => open() };
}

/** A connection dropped mid-call: the caller cannot know whether the processor acted. */
export class ConnectionResetError extends Error {
  override readonly name = 'ConnectionResetError';
}

/**
 * A processor wrapper that counts the calls reaching the processor (the number a double charge would
 * show), can hold charges at a gate, and can drop a call's answer after the processor acted.
 */
export class CountingProcessor implements CardProcessor {
  readonly chargeKeys: string[] = [];
  readonly refundKeys: string[] = [];
  /** When set, every charge waits for it before reaching the processor. */
  hold: Promise<void> | undefined;
  /** The next charge reaches the processor, which acts, and then the answer is lost. */
  loseNextChargeAnswer = false;
  /** The next refund is refused with this error before it reaches the processor. */
  refuseNextRefund: Error | undefined;

  constructor(readonly inner: CardProcessor) {}

  get chargeCalls(): number {
    return this.chargeKeys.length;
  }

  get refundCalls(): number {
    return this.refundKeys.length;
  }

  async charge(request: ProcessorChargeRequest): Promise<ProcessorCharge> {
    this.chargeKeys.push(request.idempotencyKey);
    if (this.hold) await this.hold;
    const outcome = await this.inner.charge(request);
    if (this.loseNextChargeAnswer) {
      this.loseNextChargeAnswer = false;
      throw new ConnectionResetError('socket hang up');
    }
    return outcome;
  }

  async refund(request: ProcessorRefundRequest): Promise<ProcessorRefund> {
    this.refundKeys.push(request.idempotencyKey);
    const refusal = this.refuseNextRefund;
    this.refuseNextRefund = undefined;
    if (refusal) throw refusal;
    return this.inner.refund(request);
  }
}

/** A clock a test moves by hand (leases), starting now. */
export class ManualClock {
  private offsetMs = 0;
  readonly now = () => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
