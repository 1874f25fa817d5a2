/**
 * The viewer's server over HTTP, as a browser would reach it: sessions (HttpOnly, SameSite=Lax,
 * forged or signed-out cookies refused), error answers with whole bodies, the security headers on
 * every page, the event hook refusing unsigned deliveries, no token or secret in any answer, and
 * the front end's initial JavaScript within its budget.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMUNITY, DEMO_COMMUNITIES } from '../examples/viewer-stack.js';
import { startTestStack, type TestStack } from './support/viewer.js';

const CARLA = DEMO_COMMUNITIES[0]!.people[0]!;
const VIEWS = ['home', 'calendar', 'grades', 'attendance', 'timetables', 'payables', 'documents', 'entrance'];
let stack: TestStack;

const get = (path: string, cookie?: string) => fetch(`${stack.viewerUrl}${path}`, { headers: cookie ? { cookie } : {} });
async function signIn(): Promise<{ cookie: string; header: string }> {
  const res = await fetch(`${stack.viewerUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ community: COMMUNITY, person: CARLA.id }),
  });
  expect(res.status).toBe(200);
  const header = res.headers.get('set-cookie')!;
  return { cookie: header.split(';')[0]!, header };
}

beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.closeExtras();
  await stack?.close();
});

describe('viewer server', () => {
  it('sets an HttpOnly, SameSite=Lax session cookie and answers who is signed in', async () => {
    const { cookie, header } = await signIn();
    expect(header).toMatch(/^viewer_session=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=28800$/);
    const res = await get('/api/session', cookie);
    expect(await res.json()).toEqual({
      community: { id: COMMUNITY, name: 'Escola Modelo' },
      person: { id: CARLA.id, name: CARLA.name, role: 'guardian' },
      locale: 'pt-BR',
    });
  }, 60_000);

  it('refuses views without a session, with a forged cookie, and after sign-out', async () => {
    const unauthorized = { status: 401, type: 'Unauthorized', error: 'sign in first' };
    let res = await get('/api/views/payables');
    expect([res.status, await res.json()]).toEqual([401, unauthorized]);
    res = await get('/api/views/payables', 'viewer_session=forged');
    expect([res.status, await res.json()]).toEqual([401, unauthorized]);
    const { cookie } = await signIn();
    expect((await get('/api/views/payables', cookie)).status).toBe(200);
    const out = await fetch(`${stack.viewerUrl}/api/session`, { method: 'DELETE', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toBe('viewer_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
    res = await get('/api/views/payables', cookie);
    expect([res.status, await res.json()]).toEqual([401, unauthorized]);
  }, 60_000);

  it('answers errors in one format: a person of no community, an unknown view, a bad body', async () => {
    let res = await fetch(`${stack.viewerUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ community: COMMUNITY, person: 'nobody' }),
    });
    expect([res.status, await res.json()]).toEqual([400, { status: 400, type: 'InvalidRequest', error: 'no such person in that community' }]);
    res = await fetch(`${stack.viewerUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"community":1}' });
    expect([res.status, await res.json()]).toEqual([400, { status: 400, type: 'InvalidRequest', error: "body must have required property 'person'" }]);
    const { cookie } = await signIn();
    res = await get('/api/views/nothing', cookie);
    expect([res.status, await res.json()]).toEqual([404, { status: 404, type: 'NotFound', error: 'no such view' }]);
    res = await get('/api/nothing', cookie);
    expect([res.status, await res.json()]).toEqual([404, { status: 404, type: 'NotFound', error: 'no such route' }]);
  }, 60_000);

  it("reports a provider that is down by the hub's type and request id, beside the working one", async () => {
    const { cookie } = await signIn();
    const body = (await (await get('/api/views/payables', cookie)).json()) as { sources: { provider: { id: string }; ok: boolean; error?: unknown }[] };
    const down = body.sources.find((s) => s.provider.id === 'banco-fora')!;
    expect(down).toEqual({
      provider: { id: 'banco-fora', displayName: 'Banco Fora do Ar' },
      ok: false,
      error: { type: 'ProviderUnavailable', message: expect.any(String), requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    expect(body.sources.find((s) => s.provider.id === 'erp-modelo')!.ok).toBe(true);
    const one = (await (await get('/api/views/payables?provider=erp-modelo', cookie)).json()) as { sources: unknown[] };
    expect(one.sources).toHaveLength(1);
  }, 60_000);

  it('sends the CSP (no inline script, no framing) and the other headers on every page and answer', async () => {
    const { cookie } = await signIn();
    const index = await get('/');
    const html = await index.text();
    expect(html).toContain('<div id="app">');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    for (const res of [index, await get('/#/payables'), await get('/api/directory'), await get('/api/views/home', cookie), await get('/some/deep/link')]) {
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  }, 60_000);

  it('refuses an event delivery that the hub did not sign', async () => {
    const res = await fetch(`${stack.viewerUrl}/hooks/entrance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ context: {}, secret: 'guess', data: { ids: ['ent-1'] } }),
    });
    expect(res.status).toBe(401);
  }, 60_000);

  it('lets no token or secret reach the browser, in any answer', async () => {
    const { cookie, header } = await signIn();
    const texts: string[] = [header];
    const index = await get('/');
    const html = await index.text();
    texts.push(html);
    for (const asset of html.match(/\/assets\/[^"]+/g) ?? []) texts.push(await (await get(asset)).text());
    for (const path of ['/api/directory', '/api/session', ...VIEWS.map((v) => `/api/views/${v}`)]) {
      const res = await get(path, cookie);
      texts.push(JSON.stringify([...res.headers]), await res.text());
    }
    const stream = await get('/api/entrance/stream', cookie);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const reader = stream.body!.getReader();
    void stack.publishEntrance({ id: 'vs-2', name: 'Paula Prado', role: 'visitor' }, 'out');
    let sse = '';
    while (!sse.includes('Paula Prado')) sse += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    texts.push(sse);
    for (const secret of stack.credentials) for (const text of texts) expect(text.includes(secret)).toBe(false);
  }, 60_000);

  it('sends its scripts and styles precompressed to a browser that accepts it, whole to one that does not', async () => {
    const html = await (await get('/')).text();
    const assets = html.match(/\/assets\/[^"]+\.(?:js|css)/g) ?? [];
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const file = readFileSync(join('viewer/dist', asset));
      // undici's request leaves the body as sent, so the encoding is seen as it came.
      const br = await request(`${stack.viewerUrl}${asset}`, { headers: { 'accept-encoding': 'br, gzip' } });
      expect(br.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(Buffer.from(await br.body.arrayBuffer())).equals(file)).toBe(true);
      const plain = await request(`${stack.viewerUrl}${asset}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(Buffer.from(await plain.body.arrayBuffer()).equals(file)).toBe(true);
    }
  });

  it('keeps the initial JavaScript of the built front end under 250 KB gzipped', () => {
    const html = readFileSync('viewer/dist/index.html', 'utf8');
    const scripts = [...html.matchAll(/<script[^>]+src="\/([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    const assets = readdirSync('viewer/dist/assets');
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    const gzipped = scripts.reduce((sum, src) => sum + gzipSync(readFileSync(join('viewer/dist', src))).length, 0);
    expect(gzipped).toBeLessThan(250 * 1024);
  });
});
