/**
 * Request bodies: JSON only, in well-formed UTF-8, size-limited by Fastify, parsed without
 * prototype pollution and with a nesting bound, and kept as the exact text parsed so the call path
 * can forward it unchanged.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { HubError, invalidRequest } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as parsed (as received, less a byte order mark); undefined when there was none. */
    rawBody?: string;
  }
}

/** Deeper documents are refused: they only serve to exhaust the stacks of whoever walks them. */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of a JSON text, counted without parsing (brackets inside strings skipped). */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/** Parses a JSON text; throws InvalidRequest naming the problem. */
export function parseJsonText(text: string): unknown {
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw invalidRequest(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const message = (err as Error).message;
    if (/prototype|constructor/i.test(message)) {
      throw invalidRequest('the JSON body has a "__proto__" or "constructor.prototype" key, which is not accepted');
    }
    throw invalidRequest(`the body is not valid JSON: ${message}`);
  }
}

/** `application/json` and `application/<anything>+json`, with or without parameters (Fastify
 * matches the normalised header, parameters included). */
const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;
const UTF8 = /^utf-?8$/i;
const BOM = '\uFEFF';
export const NOT_JSON = 'the body must be JSON, sent with content-type: application/json';

/** The charset parameter of a content-type header, when one is given. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = contentType === undefined ? null : CHARSET.exec(contentType);
  return match === null ? undefined : (match[1] ?? match[2]);
}

/**
 * Replaces Fastify's JSON parser: JSON media types only (others get 415), in UTF-8 (the only
 * charset JSON may be exchanged in, RFC 8259 §8.1) and well-formed (400 otherwise), a byte order
 * mark dropped, and the text that was parsed kept: what is forwarded and stored is exactly what was
 * validated.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  // Any other media type is refused unread, unless nothing comes with it (axios, 0.x and 1.x,
  // labels a request without data `application/x-www-form-urlencoded`, content-length 0) or the
  // route is unknown (the 404 says more than a 415 would).
  app.addContentTypeParser('*', (request, _payload, done) => {
    if (request.headers['content-length'] === '0' || request.is404) return done(null, undefined);
    done(new HubError('UnsupportedMediaType', NOT_JSON), undefined);
  });
  // Bytes, not a string: decoding replaces ill-formed sequences with U+FFFD, so a body would be
  // changed silently; they are checked first (natively), then decoded once.
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (request, body, done) => {
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && !UTF8.test(charset)) {
      return done(new HubError('UnsupportedMediaType', `the body must be JSON in UTF-8; charset "${charset.slice(0, 40)}" is not accepted`), undefined);
    }
    if (!isUtf8(body as Buffer)) return done(invalidRequest('the body is not valid UTF-8'), undefined);
    const decoded = (body as Buffer).toString('utf8');
    const text = decoded.startsWith(BOM) ? decoded.slice(1) : decoded;
    if (text.trim() === '') return done(null, undefined);
    try {
      const value = parseJsonText(text);
      request.rawBody = text;
      done(null, value);
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
