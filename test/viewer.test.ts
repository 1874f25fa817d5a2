/**
 * The viewer in a real browser (Debian's Chromium): a person signs in, every view shows the example
 * ERP's values, a provider that is down gives a polite message with the request id, markup in a
 * provider's data shows as text, an entrance published through the hub appears live, the language
 * switch works, each page passes axe-core, and no response the browser receives holds a token or a
 * secret. Screenshots at 1280×800 and at phone width land in test-results/screenshots/.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attendanceFor, gradeBooksFor, payablesFor, studentsOf, timetablesFor } from '../examples/erp-provider.js';
import { DEMO_COMMUNITIES } from '../examples/viewer-stack.js';
import { expectAccessible, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { startTestStack, XSS_IMG, XSS_TITLE, type TestStack } from './support/viewer.js';

const CARLA = DEMO_COMMUNITIES[0]!.people[0]!;
const brl = (cents: number, locale = 'pt-BR') => new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL' }).format(cents / 100);

let stack: TestStack;
let browser: Browser;
const received: string[] = [];

async function signedIn(viewport?: { width: number; height: number }): Promise<Page> {
  const page = await browser.page(viewport);
  await page.setExtraHTTPHeaders({ 'accept-language': 'pt-BR,pt;q=0.9' });
  page.on('response', (res) => {
    void res.text().then(
      (text) => received.push(`${res.url()} ${JSON.stringify(res.headers())} ${text}`),
      () => undefined,
    );
  });
  await page.goto(stack.viewerUrl);
  await page.getByRole('button', { name: new RegExp(CARLA.name) }).click();
  await page.getByRole('navigation').waitFor();
  return page;
}

async function open(page: Page, view: string, heading: string): Promise<void> {
  await page.goto(`${stack.viewerUrl}/#/${view}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached' });
}

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.closeExtras();
  await stack?.close();
});

describe('the viewer in Chromium', () => {
  it('signs a person in from the demo directory', async () => {
    const page = await browser.page();
    await page.setExtraHTTPHeaders({ 'accept-language': 'pt-BR' });
    await page.goto(stack.viewerUrl);
    await page.getByRole('heading', { level: 1, name: 'Entrar' }).waitFor();
    for (const person of DEMO_COMMUNITIES[0]!.people) await page.getByRole('button', { name: new RegExp(person.name) }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'viewer-signin');
    await page.getByRole('button', { name: new RegExp(CARLA.name) }).click();
    await expect.poll(() => page.locator('header').textContent()).toContain(`${CARLA.name} · Escola Modelo`);
  }, 120_000);

  it("shows every view with the ERP's values, accessible, at desktop and phone width", async () => {
    const students = studentsOf(CARLA);
    const grades = gradeBooksFor(CARLA).result[0]!;
    const attendance = attendanceFor(CARLA).result![0]!;
    const timetable = timetablesFor(CARLA).result[0]!;
    const bills = payablesFor(CARLA).result.flatMap((g) => g.payables);
    const late = bills.find((b) => b.status === 'late')!;
    const pct = new Intl.NumberFormat('pt-BR', { style: 'percent', maximumFractionDigits: 1 });
    const firstScore = grades.terms.find((t) => t.subjects)!.subjects![0]!.overall![0]!.scoreGiven;

    const checks: [string, string, string[]][] = [
      ['home', 'Início', ['Contas a pagar', 'Vencida', `Fonte: ERP Modelo`]],
      ['grades', 'Notas', [grades.student, 'Matemática', '1º bimestre', new Intl.NumberFormat('pt-BR').format(Number(firstScore))]],
      ['attendance', 'Frequência', [attendance.student!, `Presença: ${pct.format(attendance.overall!.presencePercentage!)}`, 'Faltas registradas']],
      ['timetables', 'Horários', [timetable.student, 'Professor(a): Ana Ribeiro', 'Clube de robótica', 'Segunda', 'Aulas de hoje']],
      ['payables', 'Financeiro', [students[0]!.name, late.description!, brl(late.centsTotal), 'Vencidas', 'Copiar código de barras', 'Boleto (PDF)']],
      ['documents', 'Documentos', [students[0]!.name, `Contrato de matrícula ${new Date().getFullYear()}.pdf`, 'Regimento escolar.pdf', 'arquivo']],
      ['entrance', 'Portaria', ['Lucas Mendes', 'Marina Mendes', 'Entrada']],
    ];
    const desktop = await signedIn();
    const phone = await signedIn({ width: 390, height: 844 });
    for (const [view, heading, values] of checks) {
      for (const [page, size] of [
        [desktop, 'desktop'],
        [phone, 'phone'],
      ] as const) {
        await open(page, view, heading);
        for (const value of values) await expect.poll(() => page.locator('main').textContent(), { timeout: 10_000 }).toContain(value);
        await expectAccessible(page);
        await screenshot(page, `viewer-${view}-${size}`);
      }
    }
    // The calendar: back to February of this year, where the carnival break is.
    await open(desktop, 'calendar', 'Agenda');
    for (let m = new Date().getMonth(); m > 1; m--) await desktop.getByRole('button', { name: 'Mês anterior' }).click();
    const february = `Fevereiro de ${new Date().getFullYear()}`;
    await desktop.getByRole('heading', { level: 2, name: february }).waitFor();
    const grid = desktop.getByRole('grid');
    await expect.poll(() => grid.textContent()).toContain('Recesso de Carnaval');
    await expect.poll(() => grid.textContent()).toContain('Primeiro dia de aula');
    await expectAccessible(desktop);
    await screenshot(desktop, 'viewer-calendar-desktop');
    await open(phone, 'calendar', 'Agenda');
    await screenshot(phone, 'viewer-calendar-phone');
  }, 120_000);

  it('gives a polite message with the request id when a provider is down, beside the others', async () => {
    const page = await signedIn();
    await open(page, 'payables', 'Financeiro');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Não foi possível obter as informações de Banco Fora do Ar agora.');
    expect(await alert.locator('.request-id').textContent()).toMatch(/^[0-9a-f-]{36}$/);
    // The working provider's bills are still there, and the person can pick one source.
    await expect.poll(() => page.locator('main').textContent()).toContain('Fonte: ERP Modelo');
    await page.getByRole('combobox', { name: 'Fonte' }).selectOption('erp-modelo');
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);
    await expect.poll(() => page.locator('main').textContent()).toContain('Vencidas');
  }, 120_000);

  it("renders a provider's markup as text", async () => {
    const page = await signedIn();
    await open(page, 'timetables', 'Horários');
    await expect.poll(() => page.locator('main').textContent()).toContain(XSS_TITLE);
    await expect.poll(() => page.locator('main').textContent()).toContain(XSS_IMG);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
  }, 120_000);

  it('shows an entrance published through the hub live, within 2 s', async () => {
    const page = await signedIn();
    await open(page, 'entrance', 'Portaria');
    await page.locator('ol.entries[data-live="on"]').waitFor();
    const entrance = await stack.publishEntrance({ id: 'vs-0001', name: 'Rita Visitante', role: 'visitor' }, 'in');
    await page.locator(`[data-entry-id="${entrance.id}"]`).waitFor({ timeout: 2_000 });
    expect(await page.locator(`[data-entry-id="${entrance.id}"]`).textContent()).toContain('Rita Visitante');
    await screenshot(page, 'viewer-entrance-live');
  }, 120_000);

  it('switches between Portuguese and English, formatting money in the chosen locale', async () => {
    const page = await signedIn();
    await open(page, 'payables', 'Financeiro');
    const late = payablesFor(CARLA)
      .result.flatMap((g) => g.payables)
      .find((b) => b.status === 'late')!;
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bills' }).waitFor();
    await expect.poll(() => page.locator('main').textContent()).toContain('Needs attention');
    await expect.poll(() => page.locator('main').textContent()).toContain(brl(late.centsTotal, 'en'));
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Português' }).click();
    await page.getByRole('heading', { level: 1, name: 'Financeiro' }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('pt-BR');
  }, 120_000);

  it('never lets a token or a secret reach the browser', () => {
    expect(received.length).toBeGreaterThan(20);
    for (const secret of stack.credentials) for (const text of received) expect(text.includes(secret), `a response held ${secret.slice(0, 8)}…`).toBe(false);
  });
});
