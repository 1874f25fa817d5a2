import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { generateLegacySecret, generateSigningSecret, newMessageId, nowSeconds, sign, signatureHeaders, signingKey } from '../src/relay/signing.js';

describe('relay signing', () => {
  it('generates whsec_ signing secrets of 32 bytes', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(secret);
  });

  it('generates base64url legacy secrets of 32 bytes', () => {
    const secret = generateLegacySecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
  });

  it('never starts a legacy secret with a dash, which a command line would take for an option', () => {
    // One draw in 64 would: 2,000 draws miss a regression with a chance of about 1e-14.
    const secrets = Array.from({ length: 2000 }, generateLegacySecret);
    expect(secrets.filter((secret) => secret.startsWith('-'))).toEqual([]);
    expect(new Set(secrets).size).toBe(2000);
  });

  it('generates unique msg_ ids', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(newMessageId());
    expect(ids.size).toBe(10_000);
    for (const id of [...ids].slice(0, 50)) expect(id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
  });

  it('signs so that an independent Standard Webhooks implementation verifies (string body)', () => {
    const secret = generateSigningSecret();
    const body = JSON.stringify({ context: { action: '@layers:Calendar:getRelated' }, data: { é: '✓' } });
    const headers = signatureHeaders(newMessageId(), nowSeconds(), body, [secret]);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs Buffer bodies over the exact bytes', () => {
    const secret = generateSigningSecret();
    const body = Buffer.from('{"data":{"name":"Zoë"}}', 'utf8');
    const headers = signatureHeaders('msg_1', nowSeconds(), body, [secret]);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(signatureHeaders('msg_1', Number(headers['webhook-timestamp']), body.toString(), [secret])).toEqual(headers);
  });

  it('matches the library signature exactly', () => {
    const secret = generateSigningSecret();
    const ts = nowSeconds();
    expect(sign('msg_abc', ts, 'hello', secret)).toBe(new Webhook(secret).sign('msg_abc', new Date(ts * 1000), 'hello'));
  });

  it('sends one signature per secret during rotation; each secret verifies', () => {
    const oldSecret = generateSigningSecret();
    const newSecret = generateSigningSecret();
    const body = '{"data":null}';
    const headers = signatureHeaders(newMessageId(), nowSeconds(), body, [newSecret, oldSecret]);
    const parts = headers['webhook-signature'].split(' ');
    expect(parts).toHaveLength(2);
    expect(parts.every((p) => p.startsWith('v1,'))).toBe(true);
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow();
  });

  it('fails verification for a tampered body, id or timestamp', () => {
    const secret = generateSigningSecret();
    const body = '{"data":{"amount":10}}';
    const headers = signatureHeaders(newMessageId(), nowSeconds(), body, [secret]);
    const wh = new Webhook(secret);
    expect(() => wh.verify('{"data":{"amount":11}}', headers)).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(nowSeconds() - 1) })).toThrow();
  });

  it('writes the timestamp in whole seconds; stale timestamps are refused by verifiers', () => {
    const secret = generateSigningSecret();
    const headers = signatureHeaders('msg_t', 1_700_000_000.9, '{}', [secret]);
    expect(headers['webhook-timestamp']).toBe('1700000000');
    expect(() => new Webhook(secret).verify('{}', headers)).toThrow(/too old/);
    const fresh = signatureHeaders('msg_t', nowSeconds(), '{}', [secret]);
    expect(() => new Webhook(secret).verify('{}', fresh)).not.toThrow();
  });

  it('caches decoded keys and accepts bare base64 secrets', () => {
    const secret = generateSigningSecret();
    expect(signingKey(secret)).toBe(signingKey(secret));
    const bare = secret.slice(6);
    expect(signingKey(bare).equals(signingKey(secret))).toBe(true);
    expect(() => signatureHeaders('msg_x', 1, 'x', [])).toThrow();
  });
});
