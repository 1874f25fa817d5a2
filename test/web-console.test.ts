/**
 * The operator console in a real browser (Chromium through playwright-core) against a hub on a
 * real port with a real SQLite file, and real subscriber servers: sign in and out, register an app
 * through the form (with the API's field error beside its field), issue a token, approve a
 * pending installation, a failing delivery replayed once its subscriber is fixed, a test event,
 * names holding markup shown as text, the headers that keep the console out of frames, axe-core on
 * every page, and screenshots at desktop and phone widths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectAccessible, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { ADMIN_TOKEN, startHub, type TestHub } from './support/hub.js';
import { json, startServer, type TestServer } from './support/servers.js';
import { until } from './support/wait.js';
import { buildWeb } from './support/web.js';

const ENTRANCE = '@layers:education:Entrance:created';
const XSS_NAME = '<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 2">';

let hub: TestHub;
let browser: Browser;
let subscriber: TestServer;
/** What the subscriber answers, switched by the test: first broken, then fixed. */
let subscriberStatus = 500;
let publisherToken: string;

beforeAll(async () => {
  const web = await buildWeb();
  hub = await startHub({ retrySchedule: [] }, undefined, { webDir: web.dir });
  subscriber = await startServer((_req, res) => json(res, subscriberStatus, subscriberStatus === 200 ? { ok: true } : { error: 'broken on purpose' }));
  await hub.admin('PUT', '/communities/escola');
  for (const [id, manifest] of [
    ['gate', { displayName: 'Gate monitor', services: { subscribes: [{ action: ENTRANCE, reason: 'show entries', url: `${subscriber.url}/events` }] } }],
    ['erp', { displayName: 'School ERP', services: { publishes: [{ action: ENTRANCE, reason: 'entries' }] } }],
    [
      'careful',
      { displayName: 'Careful app', approval: 'manual', services: { requests: [{ action: '@layers:education:GradeBooks:getRelated', reason: 'grades' }] } },
    ],
    ['evil', { displayName: XSS_NAME, description: XSS_NAME, services: {} }],
  ] as const) {
    expect((await hub.admin('PUT', `/apps/${id}`, manifest)).status).toBe(201);
    await hub.admin('PUT', `/communities/escola/installations/${id}`);
  }
  publisherToken = (await hub.admin('POST', '/apps/erp/tokens')).body.token;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await subscriber?.close();
  await hub?.close();
});

async function signedIn(viewport?: { width: number; height: number }): Promise<Page> {
  const page = await browser.page(viewport);
  await page.goto(`${hub.url}/console/`);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  return page;
}

describe('the console', () => {
  it('is refused in frames, allows no inline script, and sends nothing the browser may sniff', async () => {
    const answer = await hub.send('GET', '/console/');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.text).not.toMatch(/<script>|<script(?![^>]*\ssrc=)/);
    // The browser refuses to show it in a frame of another page: the frame holds Chromium's error page.
    const page = await browser.page();
    await page.route('http://framer.test/', (route) =>
      route.fulfill({ contentType: 'text/html', body: `<iframe title="console" src="${hub.url}/console/"></iframe>` }),
    );
    await page.goto('http://framer.test/', { waitUntil: 'load' });
    const frame = await until(() => page.frames().find((f) => f !== page.mainFrame() && f.url() !== 'about:blank'), 10_000, 'the frame navigated');
    expect(frame.url()).toMatch(/^chrome-error:/);
    await page.close();
  }, 120_000);

  it('signs in with the admin token kept in sessionStorage only, and signing out clears it', async () => {
    const page = await browser.page();
    await page.goto(`${hub.url}/console/`);
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('the admin token is wrong, or the admin key is unknown or revoked');
    await expectAccessible(page);
    await screenshot(page, 'console-sign-in');

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.evaluate<Array<[string, string]>>('Object.entries(sessionStorage)')).toEqual([['api-hub-admin-token', ADMIN_TOKEN]]);
    expect(await page.evaluate<[number, string]>('[localStorage.length, document.cookie]')).toEqual([0, '']);
    expect(await page.context().cookies()).toEqual([]);
    expect(page.url()).not.toContain(ADMIN_TOKEN);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.close();
  }, 120_000);

  it('registers an app through the form, with the API error beside its field, then issues a token shown once', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/apps`);
    await page.getByRole('button', { name: 'Register an app' }).click();
    await page.getByLabel('App id').fill('viewer');
    await page.getByLabel('Display name').fill('Student viewer');
    await page
      .getByLabel('Services (JSON)')
      .fill(JSON.stringify({ responds: [{ action: '@layers:education:GradeBooks:getRelated', reason: 'grades', url: 'not a url' }] }));
    await page.getByRole('button', { name: 'Register app' }).click();
    // The hub's pointer puts the error under the Services field, tied to it for screen readers.
    const services = page.getByLabel('Services (JSON)');
    await expect.poll(() => services.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await services.getAttribute('aria-describedby'))!.split(' ')[0]!;
    expect(await page.locator(`[id="${errorId}"]`).textContent()).toBe('/services/responds/0/url must be an absolute http(s) URL');
    await expectAccessible(page);
    await screenshot(page, 'console-app-form-error');

    await services.fill(JSON.stringify({ requests: [{ action: '@layers:education:GradeBooks:getRelated', reason: 'show grades' }] }));
    await page.getByRole('button', { name: 'Register app' }).click();
    await page.getByRole('heading', { name: 'Student viewer' }).waitFor();
    expect((await hub.admin('GET', '/apps/viewer')).body.manifest).toMatchObject({
      displayName: 'Student viewer',
      services: { requests: [{ action: '@layers:education:GradeBooks:getRelated', reason: 'show grades' }] },
    });

    await page.getByLabel('Token label').fill('ci');
    await page.getByRole('button', { name: 'Issue a token' }).click();
    const token = (await page.getByTestId('issued-token').textContent())!;
    expect(token).toMatch(/^hub_/);
    await page.getByRole('button', { name: 'Copy the token' }).waitFor();
    const tokens = (await hub.admin('GET', '/apps/viewer')).body.tokens;
    expect(tokens).toMatchObject([{ label: 'ci', revokedAt: null }]);
    // The token works: the app, once installed, discovers with it.
    await hub.admin('PUT', '/communities/escola/installations/viewer');
    const discover = await hub.send('GET', '/v1/services/discover/@layers:education:GradeBooks:getRelated?version=1', {
      headers: { authorization: `Bearer ${token}`, 'x-community-id': 'escola' },
    });
    expect(discover.status).toBe(200);
    await expectAccessible(page);
    await screenshot(page, 'console-app-token');
    // Shown once: a reload shows the token's id, never its value.
    await page.reload();
    await page.getByRole('heading', { name: 'Tokens' }).waitFor();
    expect(await page.content()).not.toContain(token);
    await page.close();
  }, 120_000);

  it('approves a pending installation', async () => {
    expect((await hub.admin('GET', '/communities/escola/installations')).body.find((i: { app: string }) => i.app === 'careful').status).toBe(
      'pending_approval',
    );
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/communities/escola`);
    await page.getByRole('button', { name: 'Approve careful' }).click();
    await page.getByRole('status').getByText('careful approved.').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'careful' });
    await expect.poll(() => row.locator('.badge').textContent()).toBe('installed');
    expect((await hub.admin('GET', '/communities/escola/installations')).body.find((i: { app: string }) => i.app === 'careful').status).toBe('installed');
    await expectAccessible(page);
    await screenshot(page, 'console-community');
    await page.close();
  }, 120_000);

  it('shows a failing delivery live, and delivers it on replay once the subscriber is fixed', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/deliveries`);
    await page.getByRole('heading', { name: 'Events and deliveries' }).waitFor();
    subscriberStatus = 500;
    const published = await hub.send('POST', `/v1/services/publish/${ENTRANCE}`, {
      headers: { authorization: `Bearer ${publisherToken}`, 'x-community-id': 'escola' },
      body: { ids: ['ent-1'] },
    });
    expect(published.status).toBe(201);
    const deliveries = await until(
      async () => {
        const list = (await hub.admin('GET', `/deliveries?event=${published.body.id}`)).body.items;
        return list.length === 1 && list[0].status === 'dead' && list;
      },
      20_000,
      'the delivery dead',
    );
    const id = deliveries[0].id as string;
    // The page polls: the dead delivery shows without a reload.
    const row = page.locator(`tr[data-delivery="${id}"]`);
    await expect.poll(() => row.getByTestId('delivery-status').textContent(), { timeout: 15_000 }).toBe('dead');
    await row.getByRole('button', { name: `Attempts of delivery ${id}` }).click();
    await page.getByRole('heading', { name: `Attempts of ${id}` }).waitFor();
    expect(await page.getByText('HTTP 500', { exact: false }).count()).toBeGreaterThan(0);
    // The subscriber's own words are kept with the attempt, shown as text.
    expect(await page.getByLabel("The subscriber's answer").first().textContent()).toBe('{"error":"broken on purpose"}');
    const health = page.getByRole('table', { name: 'Health of each subscription, the least healthy first' });
    expect(await health.getByRole('row').filter({ hasText: 'gate' }).textContent()).toContain('0% of 1');
    await expectAccessible(page);
    await screenshot(page, 'console-deliveries-dead');

    subscriberStatus = 200;
    const before = subscriber.received.length;
    await row.getByRole('button', { name: `Replay delivery ${id}` }).click();
    await expect.poll(() => row.getByTestId('delivery-status').textContent(), { timeout: 15_000 }).toBe('delivered');
    expect(subscriber.received.length).toBe(before + 1);
    expect(JSON.parse(subscriber.received.at(-1)!.body)).toMatchObject({ context: { action: ENTRANCE, eventId: published.body.id }, data: { ids: ['ent-1'] } });
    expect((await hub.admin('GET', `/deliveries/${id}`)).body).toMatchObject({
      status: 'delivered',
      history: [
        { statusCode: 500, answer: '{"error":"broken on purpose"}' },
        { statusCode: 200, answer: '{"ok":true}' },
      ],
    });
    await expect.poll(() => health.getByRole('row').filter({ hasText: 'gate' }).textContent()).toContain('50% of 2');
    await page.close();
  }, 120_000);

  it("sends a test event from the action's example to one subscriber", async () => {
    subscriberStatus = 200;
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/deliveries`);
    await page.getByLabel('Subscriber and action').selectOption(`gate ${ENTRANCE}`);
    await page.getByLabel('Community to test in').selectOption('escola');
    const before = subscriber.received.length;
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await expect.poll(() => page.getByTestId('test-event-result').textContent()).toMatch(/^Delivered: HTTP 200 in \d+ ms$/);
    expect(subscriber.received.length).toBe(before + 1);
    const sent = subscriber.received.at(-1)!;
    expect(JSON.parse(sent.body)).toMatchObject({
      context: { action: ENTRANCE, community: 'escola', publisher: 'api-hub-test' },
      data: { ids: ['ent-50012', 'ent-50013'], updatedAfter: '2024-03-18T10:12:00Z' },
    });
    expect(sent.headers['webhook-signature']).toMatch(/^v1,/);
    await expectAccessible(page);
    await screenshot(page, 'console-test-event');
    await page.close();
  }, 120_000);

  it('shows what apps return as text: markup in a name runs nothing', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/apps`);
    const cell = page.getByRole('cell', { name: XSS_NAME, exact: true });
    await cell.waitFor();
    expect(await cell.textContent()).toBe(XSS_NAME);
    expect(await page.locator('main img').count()).toBe(0);
    await page.goto(`${hub.url}/console/#/apps/evil`);
    await page.getByRole('heading', { name: XSS_NAME }).waitFor();
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate<number | undefined>('window.__xss')).toBeUndefined();
    await page.close();
  }, 120_000);

  it('answers the test-event route with whole errors when the target or the data is wrong', async () => {
    const path = (app: string) => `/communities/escola/installations/${app}/subscriptions/${ENTRANCE}/test`;
    const notSubscriber = await hub.admin('POST', path('erp'), {});
    expect(notSubscriber.body).toEqual({
      status: 404,
      type: 'NotFound',
      name: 'Not Found',
      error: `app "erp" is not an active subscriber of "${ENTRANCE}" in community "escola"`,
      requestId: notSubscriber.headers['x-request-id'],
    });
    const badData = await hub.admin('POST', path('gate'), { data: { ids: 'not-a-list' } });
    expect(badData.status).toBe(400);
    expect(badData.body).toMatchObject({
      type: 'InvalidRequest',
      error: `the data does not match the data schema of "${ENTRANCE}" version 1`,
      details: [{ pointer: '/data/ids', message: expect.any(String) }],
    });
    const badVersion = await hub.admin('POST', path('gate'), { version: 9 });
    expect(badVersion.body).toMatchObject({ status: 404, type: 'NotFound', error: `unknown action "${ENTRANCE}" version 9` });
    const unauthorized = await hub.send('POST', `/v1/admin${path('gate')}`, { body: {} });
    expect(unauthorized.body).toMatchObject({
      status: 401,
      type: 'Unauthorized',
      error: 'no admin token: send Authorization: Bearer <admin token or admin key>',
    });
  });

  it('passes axe-core on every page, at desktop and phone widths', async () => {
    // A call in the audit log, so the Calls and Overview pages have rows.
    await hub.send('GET', '/v1/services/discover/@layers:education:GradeBooks:getRelated?version=1', { headers: { authorization: 'Bearer hub_wrong' } });
    for (const [name, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const page = await signedIn(viewport);
      for (const [route, heading] of [
        ['overview', 'Overview'],
        ['apps', 'Apps'],
        ['apps/gate', 'Gate monitor'],
        ['communities', 'Communities'],
        ['communities/escola', 'Community escola'],
        ['actions', 'Actions'],
        ['calls', 'Calls'],
        ['deliveries', 'Events and deliveries'],
      ] as const) {
        await page.goto(`${hub.url}/console/#/${route}`);
        await page.getByRole('heading', { name: heading, exact: true }).waitFor();
        await page.waitForLoadState('networkidle');
        await expectAccessible(page);
        // Nothing is wider than the screen at phone width (tables scroll inside their frame).
        if (name === 'phone') expect([route, await page.evaluate<number>('document.documentElement.scrollWidth')]).toEqual([route, viewport.width]);
        await screenshot(page, `console-${route.replace('/', '-')}-${name}`);
      }
      await page.close();
    }
  }, 120_000);
});
