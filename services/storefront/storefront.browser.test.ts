import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ANALYTICS_RESULTS_FILE } from '../../lib/events';
import { ADMIN, type RunningPlatform, startPlatform } from '../../test/e2e/platform';
import { formatMoney } from './web/src/money';

/**
 * The shop in a real browser: Debian's Chromium driven by playwright-core against the whole local platform (every
 * service of the catalog, the storefront passing /api/v1 on to the gateway). `scripts/browser-tests.sh` installs
 * Chromium and runs this suite; CHROMIUM_PATH names the browser. With SCREENSHOT_DIR set, the catalogue and the
 * console are saved there as PNG (the README's pictures).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.SCREENSHOT_DIR;

let platform: RunningPlatform;
let browser: Browser;

beforeAll(async () => {
  platform = await startPlatform();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root (CI), Chromium refuses its sandbox; the pages are the repository's own.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function newPage(): Promise<{ context: BrowserContext; page: Page; consoleErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    // A refused request shows as a console error too; the pages' own answers to those are asserted instead.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return { context, page, consoleErrors };
}

/** The public API through the storefront's own origin, as the pages call it. */
async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${platform.shopUrl}api/v1${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token && { authorization: `Bearer ${token}` }),
      ...(method === 'POST' && path === '/orders' && { 'idempotency-key': unique() }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer as T;
}

const login = async (email: string, password: string) =>
  (await call<{ accessToken: string }>('POST', '/auth/login', { email, password })).accessToken;

interface ClosedWindow {
  readonly windowStart: string;
  readonly orderCount: number;
  readonly revenue: Record<string, number>;
}

/**
 * The windows the analytics twin has written where the gateway reads them (a later line for a window replaces an
 * earlier one), once there is at least one and two reads half a second apart agree.
 */
async function closedWindows(): Promise<ClosedWindow[]> {
  const file = path.join(platform.dataDir, ANALYTICS_RESULTS_FILE);
  let last = '';
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text !== '' && text === last) {
      const byStart = new Map<string, ClosedWindow>();
      for (const line of text.split('\n').filter(Boolean)) {
        const window = (JSON.parse(line) as { data: ClosedWindow }).data;
        byStart.set(window.windowStart, window);
      }
      return [...byStart.values()].sort((a, b) => a.windowStart.localeCompare(b.windowStart));
    }
    last = text;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no analytics window was written to ${file} within 30 s`);
}

/** axe-core on the page as it is: no serious or critical violation. */
async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const severe = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(severe).toEqual([]);
}

async function heading(page: Page, text: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name: text }).waitFor();
}

async function signUp(page: Page, name: string, email: string): Promise<void> {
  await page.goto(`${platform.shopUrl}#/sign-up`);
  await heading(page, 'Create an account');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('Orchid-lantern-granite-42');
  await page.getByRole('button', { name: 'Create account' }).click();
  await heading(page, 'Catalogue');
  await page.getByText(name, { exact: true }).waitFor();
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${platform.shopUrl}#/sign-in`);
  await heading(page, 'Sign in');
  await expectAccessible(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await heading(page, 'Catalogue');
}

/** Tab until `name` has the focus (at most 60 presses): the page can be worked without a mouse. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focused = ((await page.locator(':focus').textContent()) ?? '').trim();
    if (focused === name) return;
  }
  throw new Error(`"${name}" never received the focus by Tab`);
}

describe('a shopper in the browser', () => {
  it('signs up, adds two products, checks out by keyboard with tok_visa, is declined in words, sees the history', async () => {
    const { context, page, consoleErrors } = await newPage();
    await page.goto(platform.shopUrl);
    await heading(page, 'Catalogue');
    // The seeded catalogue, a page at a time, each product with its stock.
    const products = page.locator('li.product');
    await products.first().waitFor();
    expect(await products.count()).toBe(12);
    await expect(page.locator('li.product .stock').first().textContent()).resolves.toMatch(/\d+ in stock|Out of stock/);
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2').waitFor();
    // The page label changes when the request starts; its products arrive with the answer.
    await products.first().waitFor();
    expect(await products.count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Page 1').waitFor();

    await signUp(page, 'Ada Lovelace', `ada-${unique()}@example.com`);
    await expectAccessible(page);

    const inStock = page.locator('li.product').filter({ hasNot: page.locator('button[disabled]') });
    const names = [await inStock.nth(0).locator('h2').textContent(), await inStock.nth(1).locator('h2').textContent()];
    await inStock
      .nth(0)
      .getByRole('button', { name: /^Add to cart/ })
      .click();
    await inStock
      .nth(1)
      .getByRole('button', { name: /^Add to cart/ })
      .click();
    await page.getByRole('link', { name: 'Cart (2)' }).waitFor();

    // The product page of one of them.
    await inStock.nth(0).locator('h2 a').click();
    await heading(page, names[0] ?? '');
    await expectAccessible(page);

    await page.goto(`${platform.shopUrl}#/cart`);
    await heading(page, 'Your cart');
    for (const name of names) await page.getByRole('rowheader', { name: name ?? '' }).waitFor();
    await expectAccessible(page);
    // Keyboard only: Tab to the button (tok_visa is the card chosen first) and press Enter.
    await tabTo(page, 'Place order');
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: /Thank you! Your order is confirmed/ })
      .waitFor();
    await page.getByRole('link', { name: 'Cart (0)' }).waitFor();

    // A second order, with a card that is declined: the customer reads why, in words.
    await page.goto(platform.shopUrl);
    await heading(page, 'Catalogue');
    await inStock
      .nth(0)
      .getByRole('button', { name: /^Add to cart/ })
      .click();
    await page.goto(`${platform.shopUrl}#/cart`);
    await page.getByLabel('Card').selectOption('tok_chargeDeclined');
    await page.getByRole('button', { name: 'Place order' }).click();
    const declined = page.getByRole('alert');
    await declined
      .filter({ hasText: 'Your card was declined. Nothing was charged; please try another card.' })
      .waitFor();
    await expectAccessible(page);

    await page.getByRole('link', { name: 'Orders' }).click();
    await heading(page, 'Your orders');
    const rows = page.locator('tr[data-order-id]');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    await expect(rows.nth(0).textContent()).resolves.toMatch(/Not placed.*Your card was declined/);
    await expect(rows.nth(1).textContent()).resolves.toMatch(/Confirmed/);
    await page.getByText(`1 × ${names[0]}`).first().waitFor();
    await expectAccessible(page);

    // Signed out, the console is not theirs and neither are the orders.
    await page.goto(`${platform.shopUrl}#/console`);
    await heading(page, 'Not allowed');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Sign in' }).waitFor();
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it('shows the API’s field errors beside the fields: empty and over-long names, quantities 0 and 10 000', async () => {
    const { context, page } = await newPage();
    await page.goto(`${platform.shopUrl}#/sign-up`);
    await heading(page, 'Create an account');
    await page.getByLabel('Email').fill(`grace-${unique()}@example.com`);
    await page.getByLabel('Password', { exact: true }).fill('Orchid-lantern-granite-42');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.locator('#field-name-error').textContent()).resolves.toBe('Must not be empty.');
    await expect(page.getByLabel('Name').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.getByLabel('Name').fill('G'.repeat(101));
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#field-name-error').filter({ hasText: 'Must be at most 100 characters.' }).waitFor();
    await expectAccessible(page);
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByRole('button', { name: 'Create account' }).click();
    await heading(page, 'Catalogue');

    const inStock = page.locator('li.product').filter({ hasNot: page.locator('button[disabled]') });
    await inStock
      .first()
      .getByRole('button', { name: /^Add to cart/ })
      .click();
    await page.goto(`${platform.shopUrl}#/cart`);
    const quantity = page.locator('#field-items-0--quantity');
    for (const bad of ['0', '10000']) {
      await quantity.fill(bad);
      await page.getByRole('button', { name: 'Place order' }).click();
      await page
        .locator('#field-items-0--quantity-error')
        .filter({ hasText: /^Must be a whole number from 1 to \d+\.$/ })
        .waitFor();
      await page.getByRole('alert').filter({ hasText: 'Please correct the highlighted field.' }).waitFor();
    }
    await expectAccessible(page);
    await context.close();
  });
  it('double-clicks Place order and gets one order, seen turning from being placed to confirmed without a reload', async () => {
    const { context, page, consoleErrors } = await newPage();
    await signUp(page, 'Katherine Johnson', `katherine-${unique()}@example.com`);
    const inStock = page.locator('li.product').filter({ hasNot: page.locator('button[disabled]') });
    await inStock
      .first()
      .getByRole('button', { name: /^Add to cart/ })
      .click();
    await page.goto(`${platform.shopUrl}#/cart`);
    // The slow card answers after a few seconds: the order is PENDING meanwhile.
    await page.getByLabel('Card').selectOption('tok_slow');
    // A double click is one attempt: one order, never two.
    await page.getByRole('button', { name: 'Place order' }).dblclick();
    await page.getByRole('button', { name: 'Placing your order…' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Orders' }).click();
    await heading(page, 'Your orders');
    const row = page.locator('tr[data-order-id]').first();
    await row.filter({ hasText: 'Being placed' }).waitFor();
    await row.filter({ hasText: 'Confirmed' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('tr[data-order-id]').count()).toBe(1);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});

describe('an operator in the browser', () => {
  it('adds a product that then shows in the catalogue; bad input is shown beside the field', async () => {
    const { context, page, consoleErrors } = await newPage();
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole('link', { name: 'Console' }).click();
    await heading(page, "Operator's console");
    // The sales chart, or the words that say its figures are not there: never a stack trace.
    await page
      .locator('section[aria-labelledby="sales"]')
      .getByText(/Orders per minute|not available|could not be loaded/)
      .first()
      .waitFor();
    await expectAccessible(page);

    // The form's own labels: the console has other forms with prices and stock.
    const form = page.locator('section[aria-labelledby="add-product"]');
    await form.getByLabel('Price').fill('12.50');
    await form.getByLabel('Stock').fill('7');
    await form.getByRole('button', { name: 'Add product' }).click();
    await expect(page.locator('#field-name-error').textContent()).resolves.toBe('Must not be empty.');
    await form.getByLabel('Name').fill('N'.repeat(201));
    await form.getByRole('button', { name: 'Add product' }).click();
    await page.locator('#field-name-error').filter({ hasText: 'Must be at most 200 characters.' }).waitFor();
    await form.getByLabel('Price').fill('twelve');
    await form.getByRole('button', { name: 'Add product' }).click();
    await page.locator('#field-price-amount-error').filter({ hasText: 'Enter a price such as 19.99.' }).waitFor();
    await form.getByLabel('Price').fill('12.50');
    await form.getByLabel('Stock').fill('-3');
    await form.getByLabel('Name').fill('Teapot');
    await form.getByRole('button', { name: 'Add product' }).click();
    await page.locator('#field-stock-error').filter({ hasText: 'Must not be negative.' }).waitFor();
    await expectAccessible(page);

    const name = `Browser-tested teapot ${unique()}`;
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Description').fill('Pours without dripping.');
    await form.getByLabel('Stock').fill('7');
    await form.getByRole('button', { name: 'Add product' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Added "${name}" to the catalogue.` })
      .waitFor();
    if (SCREENSHOTS) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'storefront-console.png'), fullPage: true });
    }

    // It is in the catalogue: page through until it shows.
    await page.getByRole('link', { name: 'Catalogue' }).click();
    await heading(page, 'Catalogue');
    if (SCREENSHOTS) {
      await page.locator('li.product').first().waitFor();
      await page.screenshot({ path: path.join(SCREENSHOTS, 'storefront-catalogue.png'), fullPage: true });
    }
    const product = page.locator('li.product h2', { hasText: name });
    for (let pageNumber = 1; pageNumber < 10 && !(await product.isVisible()); pageNumber++) {
      await page.locator('li.product').first().waitFor();
      if (await product.isVisible()) break;
      await page.getByRole('button', { name: 'Next page' }).click();
      await page.getByText(`Page ${pageNumber + 1}`).waitFor();
      await page.locator('li.product').first().waitFor();
    }
    await product.waitFor();
    await expect(page.locator('li.product', { hasText: name }).textContent()).resolves.toMatch(/€12\.50.*7 in stock/);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
  it('charts the last hour of analytics windows per minute from the gateway, with the figures in a table', async () => {
    // An order of its own, then processing time runs ahead: the analytics twin closes the windows of every order
    // placed so far and writes them where the gateway reads them. Nothing on the way is stood in for.
    const adminToken = await login(ADMIN.email, ADMIN.password);
    const mug = await call<{ id: string }>(
      'POST',
      '/products',
      { name: `Chart-tested mug ${unique()}`, price: { amount: 1250, currency: 'EUR' }, stock: 5 },
      adminToken,
    );
    const shopper = { email: `katherine-${unique()}@example.com`, password: 'Orchid-lantern-granite-42' };
    await call('POST', '/auth/register', { ...shopper, name: 'Katherine Johnson' });
    const order = await call<{ status: string }>(
      'POST',
      '/orders',
      { items: [{ productId: mug.id, quantity: 2 }], paymentToken: 'tok_visa' },
      await login(shopper.email, shopper.password),
    );
    expect(order.status).toBe('CONFIRMED');
    platform.analyticsClock.runAhead(3 * 60_000);
    const windows = await closedWindows();
    const total = windows.reduce((sum, w) => sum + w.orderCount, 0);
    const most = Math.max(...windows.map((w) => w.orderCount));
    const latest = windows.at(-1) as ClosedWindow;

    const { context, page, consoleErrors } = await newPage();
    // The chart ends with the last whole minute before the page's now. Processing time ran ahead, so the latest
    // window closed within this very minute: the page's clock is put half a minute past its end.
    await page.clock.setFixedTime(Date.parse(latest.windowStart) + 90_000);
    const asked = page.waitForRequest((request) => request.url().includes('/api/v1/analytics/windows?'));
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole('link', { name: 'Console' }).click();
    await heading(page, "Operator's console");
    await page
      .getByRole('img', {
        name: `Orders per minute over the last hour: ${total} in all, at most ${most} in one minute`,
        exact: true,
      })
      .waitFor();
    expect(await page.locator('svg.chart rect.bar').count()).toBe(60);
    // It asked for the last hour and a minute, as an admin.
    const url = new URL((await asked).url());
    const span = Date.parse(url.searchParams.get('to') ?? '') - Date.parse(url.searchParams.get('from') ?? '');
    expect(span).toBe(61 * 60_000);
    await page.getByText('The figures of the minutes with orders').click();
    const rows = page.locator('figure table tbody tr');
    expect(await rows.count()).toBe(windows.length);
    const revenue = formatMoney({ amount: latest.revenue.EUR ?? 0, currency: 'EUR' });
    // The latest minute: its orders, then its revenue as the pages write money.
    expect((await rows.last().textContent())?.endsWith(`${latest.orderCount}${revenue}`)).toBe(true);
    await expectAccessible(page);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it('sees the order a shopper just placed with its state, and changes that product’s price and stock for the catalogue', async () => {
    const { context, page, consoleErrors } = await newPage();
    const adminToken = await login(ADMIN.email, ADMIN.password);
    const name = `Console-tested kettle ${unique()}`;
    const kettle = await call<{ id: string }>(
      'POST',
      '/products',
      { name, price: { amount: 1000, currency: 'EUR' }, stock: 4 },
      adminToken,
    );
    const shopper = { email: `mary-${unique()}@example.com`, password: 'Orchid-lantern-granite-42' };
    await call('POST', '/auth/register', { ...shopper, name: 'Mary Jackson' });
    const order = await call<{ id: string; status: string }>(
      'POST',
      '/orders',
      { items: [{ productId: kettle.id, quantity: 1 }], paymentToken: 'tok_visa' },
      await login(shopper.email, shopper.password),
    );
    expect(order.status).toBe('CONFIRMED');

    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole('link', { name: 'Console' }).click();
    await heading(page, "Operator's console");
    // Newest first: the shopper's order heads the list, in its state.
    const row = page.locator(`tr[data-order-id="${order.id}"]`);
    await row.filter({ hasText: 'Confirmed' }).waitFor();
    await expect(page.locator('tr[data-order-id]').first().getAttribute('data-order-id')).resolves.toBe(order.id);
    await expectAccessible(page);

    const change = page.locator('section[aria-labelledby="change-product"]');
    await change.getByLabel('Product').selectOption({ label: name });
    await change.getByText('Now €10.00, 3 in stock.').waitFor();
    // More units removed than there are: the API's refusal beside the field, nothing changed.
    await change.getByLabel('Units to add or remove').fill('-10');
    await change.getByRole('button', { name: 'Save change' }).click();
    await change
      .locator('#field-change-stockDelta-error')
      .filter({ hasText: /^The stock is 3: adding -10 would leave -7/ })
      .waitFor();
    await expect(change.getByLabel('Units to add or remove').getAttribute('aria-invalid')).resolves.toBe('true');
    await expectAccessible(page);

    // By keyboard: a new price and five more units.
    await change.getByLabel('New price').fill('31.00');
    await change.getByLabel('Units to add or remove').fill('5');
    await change.getByLabel('Units to add or remove').press('Enter');
    await change
      .getByRole('status')
      .filter({ hasText: `Changed "${name}": €31.00, 8 in stock.` })
      .waitFor();

    await page.goto(`${platform.shopUrl}#/product/${kettle.id}`);
    await heading(page, name);
    await page.locator('.price').filter({ hasText: '€31.00' }).waitFor();
    await page.locator('.stock').filter({ hasText: '8 in stock' }).waitFor();
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
