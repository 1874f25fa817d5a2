/**
 * `/reference/` and `/console/`: the web pages the hub serves itself, from the output of the web
 * build (`web/dist/<app>/`, written by `npm run build` and shipped in the npm package), found
 * from the hub's own files in a checkout and in an installed package alike. Hashed assets
 * (`assets/*`) are immutable and cached for a year; the HTML is `no-cache`, so a new build is seen
 * on the next load. The build writes `.br` and `.gz` beside each asset and the route sends the
 * best one the client accepts. Every page carries a Content-Security-Policy without inline
 * scripts; the console also refuses to be framed. A missing build is answered 503 in the hub's
 * format (saying to run `npm run build`), looked up again on each request so a build made while
 * the hub runs is served at once.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError, notFound } from '../errors.js';

export const WEB_APPS = ['reference', 'console'] as const;
export type WebApp = (typeof WEB_APPS)[number];

/** The folder of the web build: `web/dist` of the nearest folder above this file (in src/ or
 * dist/src/) with `web/package.json` (a checkout, built or not) or `web/dist` (an installed
 * package, which ships the build alone); the working directory's as a last resort. */
export function defaultWebDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const web = join(dir, 'web');
    if (existsSync(join(web, 'package.json')) || existsSync(join(web, 'dist'))) return join(web, 'dist');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'web', 'dist');
}

/** The policy of a page: nothing from elsewhere, no inline script; the console is never framed
 * (clickjacking its buttons would act with the operator's token). */
export function contentSecurityPolicy(app: WebApp): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${app === 'console' ? "'none'" : "'self'"}`,
  ].join('; ');
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Asset names as Vite writes them: one path segment, no dot-dot, a known extension. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}$/;

/** The encodings to try, best first, from an Accept-Encoding header. */
export function encodingsAccepted(header: string | string[] | undefined): Array<'br' | 'gzip'> {
  const text = (Array.isArray(header) ? header.join(',') : (header ?? '')).toLowerCase();
  const accepts = (name: string) => text.split(',').some((part) => part.trim().split(';')[0] === name && !/;\s*q=0(\.0*)?\s*$/.test(part.trim()));
  return (['br', 'gzip'] as const).filter(accepts);
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

export function webRoutes(webDir: string = defaultWebDir()) {
  async function send(request: FastifyRequest, reply: FastifyReply, app: WebApp, file: string, immutable: boolean): Promise<FastifyReply> {
    const path = join(webDir, app, file);
    const dot = file.lastIndexOf('.');
    const type = TYPES[dot < 0 ? '' : file.slice(dot)];
    if (type === undefined) throw notFound(`no file "${file.slice(0, 100)}" in /${app}/`);
    let body: Buffer | undefined;
    for (const encoding of encodingsAccepted(request.headers['accept-encoding'])) {
      body = await readOptional(`${path}.${encoding === 'br' ? 'br' : 'gz'}`);
      if (body !== undefined) {
        void reply.header('content-encoding', encoding);
        break;
      }
    }
    body ??= await readOptional(path);
    if (body === undefined) {
      if (!existsSync(join(webDir, app, 'index.html'))) {
        throw new HubError('ServiceUnavailable', `the web pages are not built: run \`npm run build\` (looked for ${join(webDir, app)})`);
      }
      throw notFound(`no file "${file.slice(0, 100)}" in /${app}/`);
    }
    return reply
      .header('vary', 'accept-encoding')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(type)
      .send(body);
  }

  return function routes(fastify: FastifyInstance): void {
    for (const app of WEB_APPS) {
      const csp = contentSecurityPolicy(app);
      // Headers of every answer under the prefix, the 404s and 503s included.
      const secure = (reply: FastifyReply) => {
        void reply.header('content-security-policy', csp).header('referrer-policy', 'no-referrer');
        if (app === 'console') void reply.header('x-frame-options', 'DENY');
      };
      // The pages are not API: they stay out of /openapi.json.
      const config = { openapi: false as const };
      fastify.get(`/${app}`, { config }, (_request, reply) => reply.redirect(`/${app}/`, 301));
      fastify.get(`/${app}/`, { config }, (request, reply) => {
        secure(reply);
        return send(request, reply, app, 'index.html', false);
      });
      fastify.get<{ Params: { file: string } }>(`/${app}/assets/:file`, { config }, (request, reply) => {
        secure(reply);
        const { file } = request.params;
        if (!ASSET_NAME.test(file)) throw notFound(`no file "${file.slice(0, 100)}" in /${app}/assets/`);
        return send(request, reply, app, `assets/${file}`, true);
      });
    }
  };
}
