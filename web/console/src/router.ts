// A small client-side router over the History API: every view has a URL (groundcrewd answers
// index.html for any non-API path), links are plain <a href> that open in a new tab as usual.
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();

function notify(): void {
  for (const listener of listeners) listener();
}
window.addEventListener('popstate', notify);

/** Goes to `to` (a path with an optional query) without reloading the page. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const current = location.pathname + location.search;
  if (to === current) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
  if (!options.replace) window.scrollTo(0, 0);
}

export interface Location {
  path: string;
  query: URLSearchParams;
  /** path + query, as navigate() takes it. */
  href: string;
}

function read(): Location {
  return {
    path: location.pathname,
    query: new URLSearchParams(location.search),
    href: location.pathname + location.search,
  };
}

/** The current location; re-renders the caller when it changes. */
export function useLocation(): Location {
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const listener = () => setLoc(read());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return loc;
}

/** Replaces (or with null removes) query parameters of the current URL. */
export function withQuery(loc: Location, changes: Record<string, string | string[] | null>): string {
  const query = new URLSearchParams(loc.query);
  for (const [key, value] of Object.entries(changes)) {
    query.delete(key);
    if (value === null || value === '') continue;
    for (const one of Array.isArray(value) ? value : [value]) query.append(key, one);
  }
  const text = query.toString();
  return loc.path + (text ? `?${text}` : '');
}

/** Matches "/devices/:id" against a path; the decoded parameters, or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const trim = (p: string) => (p.length > 1 ? p.replace(/\/$/, '') : p);
  const want = trim(pattern).split('/');
  const got = trim(path).split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (!got[i]) return null;
      params[want[i].slice(1)] = decodeURIComponent(got[i]);
    } else if (want[i] !== got[i]) {
      return null;
    }
  }
  return params;
}

/** Intercepts a plain left click on an in-app link (keeps Ctrl/middle click = new tab). */
export function onLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest('a');
  if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/v1/')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}
