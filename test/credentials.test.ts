import { describe, expect, it } from 'vitest';
import { issueToken, parseToken, secretMatches, tokenFromAuthorization } from '../src/registry/credentials.js';

describe('app tokens', () => {
  it('are random, carry at least 128 bits and are stored only as a hash', () => {
    const a = issueToken();
    const b = issueToken();
    expect(a.token).not.toBe(b.token);
    const parsed = parseToken(a.token)!;
    expect(parsed.id).toBe(a.id);
    expect(Buffer.from(parsed.secret, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(a.hash).not.toContain(parsed.secret);
    expect(secretMatches(parsed.secret, Buffer.from(a.hash, 'hex'))).toBe(true);
    expect(secretMatches(parseToken(b.token)!.secret, Buffer.from(a.hash, 'hex'))).toBe(false);
  });

  it('rejects what is not a hub token', () => {
    expect(parseToken('abc')).toBeUndefined();
    expect(parseToken('hub_zz_abc')).toBeUndefined();
  });

  it('accepts the Authorization header with, without, or with a repeated Bearer prefix', () => {
    expect(tokenFromAuthorization('Bearer abc')).toBe('abc');
    expect(tokenFromAuthorization('abc')).toBe('abc');
    expect(tokenFromAuthorization('Bearer Bearer abc')).toBe('abc');
    expect(tokenFromAuthorization('bearer  abc')).toBe('abc');
    expect(tokenFromAuthorization('Bearer ')).toBeUndefined();
    expect(tokenFromAuthorization(undefined)).toBeUndefined();
  });
});
