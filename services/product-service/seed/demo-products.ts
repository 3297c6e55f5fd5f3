import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DomainError } from '../../../lib/runtime/errors';
import { type NewProduct, parseNewProduct } from '../domain/product';

export const DEMO_PRODUCTS_FILE = path.join(__dirname, 'demo-products.json');

/**
 * Reads the demo catalogue and validates every entry with the same rules as CreateProduct, so a bad
 * seed file stops the start with the entry and field at fault instead of half-seeding.
 */
export function loadDemoProducts(file: string = DEMO_PRODUCTS_FILE): NewProduct[] {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${file} must hold a JSON array of products`);
  return parsed.map((entry: unknown, index) => {
    try {
      return parseNewProduct(entry);
    } catch (error) {
      if (error instanceof DomainError) throw new Error(`${file}: product [${index}]: ${error.message}`);
      throw error;
    }
  });
}
