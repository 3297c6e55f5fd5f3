/**
 * The readiness contract every HTTP side of the kit keeps: /readyz answers 200 while the dependency answers, 503 with
 * the failing check when it does not. `setUp` switches the fake dependency; it is left up afterwards.
 */
export async function expectReadinessFollowsDependency(
  url: (path: string) => string,
  setUp: (up: boolean) => void,
): Promise<void> {
  setUp(true);
  expect((await fetch(url('/readyz'))).status).toBe(200);
  setUp(false);
  const down = await fetch(url('/readyz'));
  expect(down.status).toBe(503);
  expect(await down.json()).toMatchObject({
    status: 'not ready',
    checks: { postgres: { ok: false, error: 'down' } },
  });
  setUp(true);
}
