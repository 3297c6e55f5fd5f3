import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { Money } from '../../../lib/contracts/gen/shopfront/payment/v1/payment';

function decodeMoneyLossily(bytes: Uint8Array): Money {
  const reader = new BinaryReader(bytes);
  const money = { amount: 0, currency: '' };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.Varint) money.amount = Number(reader.int64());
    else if (field === 2 && wireType === WireType.LengthDelimited) money.currency = reader.string();
    else reader.skip(wireType, field);
  }
  return money;
}

/**
 * The generated decoders (ts-proto, int64 as number) throw on an int64 beyond +-2^53, which grpc-js answers
 * INTERNAL "Error deserializing request". Such an amount is merely out of range, so this decoder falls back to
 * reading the Money field lossily (it only has to stay recognizably too large or too small) and lets validation
 * answer INVALID_ARGUMENT on 'amount.amount', like any other bad amount. Other decode failures stay failures.
 */
export function withLenientAmount<T extends { amount: Money | undefined }>(
  decode: (input: Uint8Array) => T,
  amountField: number,
): (buffer: Buffer) => T {
  return (buffer) => {
    try {
      return decode(buffer);
    } catch (error) {
      const reader = new BinaryReader(buffer);
      const others = new BinaryWriter();
      let amount: Money | undefined;
      while (reader.pos < reader.len) {
        const start = reader.pos;
        const [field, wireType] = reader.tag();
        if (field === amountField && wireType === WireType.LengthDelimited) {
          amount = decodeMoneyLossily(reader.bytes());
          continue;
        }
        reader.skip(wireType, field);
        others.raw(buffer.subarray(start, reader.pos));
      }
      if (!amount) throw error;
      return { ...decode(others.finish()), amount };
    }
  };
}
