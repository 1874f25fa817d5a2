import { describe, expect, it } from 'vitest';
import { validateManifest, type ActionLookup } from '../src/registry/manifest.js';
import { OutboundPolicy } from '../src/relay/outbound-policy.js';

const actions: ActionLookup = {
  kindOf: (id) => (({ '@x:Grades:get': 'request', '@x:Grades:changed': 'event' }) as const)[id],
  hasVersion: (id, v) => id === '@x:Grades:get' && (v === 1 || v === 2),
};

const policy = new OutboundPolicy();

const problemsOf = (input: unknown) => {
  const result = validateManifest('erp', input, actions, policy);
  return 'problems' in result ? result.problems.map((p) => p.pointer) : [];
};

describe('manifest validation', () => {
  it('fills the defaults', () => {
    const result = validateManifest(
      'erp',
      { displayName: 'ERP', services: { responds: [{ action: '@x:Grades:get', url: 'http://erp.test/grades' }] } },
      actions,
      policy,
    );
    expect('manifest' in result).toBe(true);
    if (!('manifest' in result)) return;
    expect(result.manifest).toMatchObject({ id: 'erp', approval: 'automatic', visibility: 'private' });
    expect(result.manifest.services.enabled).toBe(true);
    expect(result.manifest.services.responds[0]!.versions).toEqual([1]);
    expect(result.manifest.services.requests).toEqual([]);
  });

  it('points at each wrong field', () => {
    expect(problemsOf({})).toEqual(['/displayName']);
    expect(problemsOf({ id: 'other', displayName: 'x' })).toEqual(['/id']);
    expect(problemsOf({ displayName: 'x', services: { requests: [{ action: '@x:Nope:get' }] } })).toEqual(['/services/requests/0/action']);
    expect(problemsOf({ displayName: 'x', services: { requests: [{ action: '@x:Grades:changed' }] } })).toEqual(['/services/requests/0/action']);
    expect(problemsOf({ displayName: 'x', services: { publishes: [{ action: '@x:Grades:get' }] } })).toEqual(['/services/publishes/0/action']);
    expect(problemsOf({ displayName: 'x', services: { responds: [{ action: '@x:Grades:get', url: '/relative' }] } })).toEqual(['/services/responds/0/url']);
    expect(problemsOf({ displayName: 'x', services: { subscribes: [{ action: '@x:Grades:changed', url: 'ftp://a/b' }] } })).toEqual([
      '/services/subscribes/0/url',
    ]);
    expect(problemsOf({ displayName: 'x', services: { responds: [{ action: '@x:Grades:get', url: 'http://a/b', versions: [3] }] } })).toEqual([
      '/services/responds/0/versions/0',
    ]);
    expect(problemsOf({ displayName: 'x', services: { requests: [{ action: '@x:Grades:get' }, { action: '@x:Grades:get' }] } })).toEqual([
      '/services/requests/1/action',
    ]);
    expect(problemsOf({ displayName: 'x', icon: 'not a url' })).toEqual(['/icon']);
    expect(problemsOf({ displayName: 'x', approval: 'sometimes' })).toEqual(['/approval']);
  });
});
