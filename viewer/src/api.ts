/** The front end's calls to its own server (same origin, session cookie); never to the hub. */
import type { ViewAnswer, ViewName } from '../server/contract.js';

export interface SessionInfo {
  community: { id: string; name: string };
  person: { id: string; name: string; role: string };
  locale: 'pt-BR' | 'en';
}
export interface Directory {
  communities: { id: string; name: string; people: { id: string; name: string; role: string }[] }[];
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export async function getSession(): Promise<{ session?: SessionInfo; locale: 'pt-BR' | 'en' }> {
  const res = await fetch('/api/session');
  const body = await json<SessionInfo & { locale: 'pt-BR' | 'en' }>(res);
  return res.ok ? { session: body, locale: body.locale } : { locale: body.locale };
}
export const getDirectory = async () => json<Directory>(await fetch('/api/directory'));
export async function signIn(community: string, person: string): Promise<void> {
  const res = await fetch('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ community, person }) });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status}`);
}
export const signOut = async () => void (await fetch('/api/session', { method: 'DELETE' }));
export async function getView(view: ViewName, provider?: string, tab?: string): Promise<ViewAnswer> {
  const query = new URLSearchParams();
  if (provider) query.set('provider', provider);
  if (tab !== undefined) query.set('tab', tab);
  const res = await fetch(`/api/views/${view}${query.size > 0 ? `?${query}` : ''}`);
  return json<ViewAnswer>(res);
}
