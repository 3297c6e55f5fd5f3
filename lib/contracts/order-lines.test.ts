import { z } from 'zod';
import { ORDER_LINE_LIMITS, oneLinePerProduct, repeatedProductPositions } from './order-lines';

const A = '3f2b9a64-0c1d-4e8f-9a7b-6c5d4e3f2a10';
const B = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

describe('the order line rules', () => {
  it('are at most 50 lines of 1 to 1000 units', () => {
    expect(ORDER_LINE_LIMITS).toEqual({ maxLines: 50, minQuantity: 1, maxQuantity: 1000 });
  });

  describe('repeatedProductPositions', () => {
    it.each<[string, { productId: string }[], number[]]>([
      ['no lines', [], []],
      ['different products', [{ productId: A }, { productId: B }], []],
      ['a product twice: the later line', [{ productId: A }, { productId: B }, { productId: A }], [2]],
      ['a product three times: each later line', [{ productId: A }, { productId: A }, { productId: A }], [1, 2]],
      ['the same id in another letter case', [{ productId: A }, { productId: A.toUpperCase() }], [1]],
    ])('finds %s', (_case, lines, positions) => {
      expect(repeatedProductPositions(lines)).toEqual(positions);
    });
  });

  describe('oneLinePerProduct', () => {
    const schema = z.array(z.object({ productId: z.string() })).superRefine(oneLinePerProduct('repeats a product'));

    it('accepts one line per product', () => {
      expect(schema.safeParse([{ productId: A }, { productId: B }]).success).toBe(true);
    });

    it("reports each repeated product on its line's productId, in the caller's words", () => {
      const result = schema.safeParse([{ productId: A }, { productId: B }, { productId: B.toUpperCase() }]);
      expect(result.success).toBe(false);
      expect(result.error?.issues).toEqual([
        expect.objectContaining({ code: 'custom', path: [2, 'productId'], message: 'repeats a product' }),
      ]);
    });
  });
});
