/**
 * The viewer's tests' shared set-up: the front end, built afresh so no stale build is tested,
 * the stack of examples/viewer-stack.ts, and two more providers registered through the admin API —
 * one whose URL nothing listens on (the polite error) and one answering markup in its titles (XSS
 * must render as text).
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { COMMUNITY, startViewerStack, type ViewerStack } from '../../examples/viewer-stack.js';
import { freePort } from './port.js';

export const XSS_TITLE = '<script>window.__xss = 1</script>';
export const XSS_IMG = '<img src=x onerror="window.__xss = 2">';

export function buildViewer(): void {
  execFileSync('npx', ['vite', 'build', 'viewer', '--logLevel', 'warn'], { stdio: 'inherit' });
}

export interface TestStack extends ViewerStack {
  closeExtras(): Promise<void>;
}

export async function startTestStack(): Promise<TestStack> {
  buildViewer();
  const stack = await startViewerStack();
  const xss: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        result: [
          { id: 'tt-x', student: XSS_TITLE, course: XSS_IMG, schedules: [{ title: XSS_IMG, weekday: 'monday', startTime: '07:30:00', caption: XSS_TITLE }] },
        ],
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((done) => xss.listen(0, '127.0.0.1', done));
  const xssUrl = `http://127.0.0.1:${(xss.address() as AddressInfo).port}`;
  const downUrl = `http://127.0.0.1:${await freePort()}`;
  await stack.admin('PUT', '/apps/banco-fora', {
    displayName: 'Banco Fora do Ar',
    services: { enabled: true, responds: [{ action: '@layers:payments:Payables:getRelated', reason: 'Bills', url: `${downUrl}/payables` }] },
  });
  await stack.admin('PUT', '/apps/horarios-xss', {
    displayName: 'Horários Estranhos',
    services: { enabled: true, responds: [{ action: '@layers:education:Timetables:getRelated', reason: 'Timetables', url: `${xssUrl}/tt` }] },
  });
  for (const app of ['banco-fora', 'horarios-xss']) await stack.admin('PUT', `/communities/${COMMUNITY}/installations/${app}`);
  return {
    ...stack,
    async closeExtras() {
      await new Promise<void>((done) => xss.close(() => done()));
    },
  };
}
