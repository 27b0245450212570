// The one client of groundcrewd's admin API (docs/admin-api.md, docs/openapi.yaml). Every call
// goes through request(): JSON in and out, the session cookie, the X-CSRF-Token header on every
// state-changing call, the API's one error shape turned into an ApiError that names its field,
// and a 401 sending the browser to the sign-in page with the URL it wanted.
import { navigate } from './router';

export type Role = 'admin' | 'reader' | 'technician';

export interface Session {
  name: string;
  role: Role;
  csrfToken: string;
  idleExpiresDateTime?: string;
  expiresDateTime?: string;
}

export interface ErrorDetail {
  field?: string;
  message: string;
}

/** The API's error shape: {"error": {code, message, field?, position?, details?}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly position?: number,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }

  /** The message for `field` (this error's or one of its details'), else undefined. */
  forField(field: string): string | undefined {
    if (this.field !== undefined && belongsTo(this.field, field)) return this.message;
    return this.details.find((d) => d.field !== undefined && belongsTo(d.field, field))?.message;
  }
}

/** Whether an error naming `errorField` belongs to the input of `field`: the same, or a part of
 * it ("settings.ntp[0]" and "content.sha256" belong to "settings.ntp" and "content"). */
export function belongsTo(errorField: string, field: string): boolean {
  return errorField === field || errorField.startsWith(`${field}[`) || errorField.startsWith(`${field}.`);
}

/** `error`'s message for `field` when it belongs to that field (see ApiError.forField). */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.forField(field) : undefined;
}

/** The text to show for any error (ApiError, network failure, ...). */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return `groundcrewd cannot be reached: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

let session: Session | null = null;
const sessionListeners = new Set<() => void>();

export function currentSession(): Session | null {
  return session;
}

export function onSessionChange(listener: () => void): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

function setSession(next: Session | null): void {
  session = next;
  for (const listener of sessionListeners) listener();
}

export type Query = Record<string, string | number | boolean | undefined | null | string[]>;

/** "/v1/x" + "?a=1&b=2" (empty and undefined values left out; arrays repeat the key). */
export function withParams(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (a CSV, a file to upload) with `contentType`. */
  body?: Blob | string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Do not go to the sign-in page on 401 (the session calls themselves). */
  allowUnauthenticated?: boolean;
}

/** Calls the API; resolves to the parsed JSON answer (undefined for 204), rejects with ApiError. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
    body = options.body;
  }
  if (method !== 'GET' && method !== 'HEAD' && session?.csrfToken) {
    headers['X-CSRF-Token'] = session.csrfToken;
  }
  const response = await fetch(withParams(path, options.query), {
    method,
    headers,
    body,
    credentials: 'same-origin',
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as T;
  const error = toApiError(response.status, parsed, text, `${method} ${path}`);
  if (response.status === 401 && !options.allowUnauthenticated) {
    setSession(null);
    goToSignIn();
  }
  throw error;
}

function toApiError(status: number, parsed: unknown, text: string, what: string): ApiError {
  const body = (parsed as { error?: Record<string, unknown> } | undefined)?.error;
  if (body && typeof body.message === 'string') {
    return new ApiError(
      status,
      String(body.code ?? 'unknown'),
      body.message,
      typeof body.field === 'string' ? body.field : undefined,
      typeof body.position === 'number' ? body.position : undefined,
      Array.isArray(body.details) ? (body.details as ErrorDetail[]) : [],
    );
  }
  return new ApiError(status, 'unknown', `${what} answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

export const get = <T>(path: string, query?: Query) => request<T>('GET', path, { query });

/** The sign-in page, keeping the URL the admin wanted (unless they are on it already). */
export function goToSignIn(): void {
  if (location.pathname === '/signin') return;
  const wanted = location.pathname + location.search;
  navigate(`/signin${wanted === '/' ? '' : `?next=${encodeURIComponent(wanted)}`}`, { replace: true });
}

/**
 * Reads the session behind the cookie: null when there is none (401). A groundcrewd without
 * console sessions (404) is asked who the caller is with GET /v1/me instead, so a bearer
 * credential a proxy adds still works (read-only unless it is an admin; no CSRF token needed).
 */
export async function loadSession(): Promise<Session | null> {
  try {
    setSession(await request<Session>('GET', '/v1/session', { allowUnauthenticated: true }));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) {
      setSession(null);
    } else if (error.status === 404) {
      const me = await request<{ name: string; role: Role }>('GET', '/v1/me', { allowUnauthenticated: true }).catch(
        () => null,
      );
      setSession(me ? { ...me, csrfToken: '' } : null);
    } else {
      throw error;
    }
  }
  return session;
}

export async function signIn(name: string, password: string, code: string): Promise<Session> {
  const next = await request<Session>('POST', '/v1/session', {
    json: { name, password, code },
    allowUnauthenticated: true,
  });
  setSession(next);
  return next;
}

export async function signOut(): Promise<void> {
  try {
    await request<void>('DELETE', '/v1/session', { allowUnauthenticated: true });
  } finally {
    setSession(null);
    navigate('/signin');
  }
}

/** What the signed-in admin's role allows the console to offer (the API decides regardless). */
export function can(action: 'change' | 'reprovision' | 'manageAdmins' | 'catalog'): boolean {
  const role = session?.role;
  switch (action) {
    case 'change':
    case 'manageAdmins':
      return role === 'admin';
    case 'reprovision':
      return role === 'admin' || role === 'technician';
    case 'catalog':
      return role === 'admin' || role === 'reader';
  }
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/**
 * Follows a Server-Sent Events stream of deployment events (the browser reconnects by itself and
 * resumes with Last-Event-ID). Returns a function that closes it.
 */
export function followEvents<T>(
  path: string,
  onEvent: (event: T) => void,
  onState: (state: StreamState) => void,
): () => void {
  const source = new EventSource(path, { withCredentials: true });
  onState('connecting');
  source.onopen = () => onState('live');
  source.onerror = () => onState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  source.addEventListener('deployment', (message) => {
    try {
      onEvent(JSON.parse((message as MessageEvent<string>).data) as T);
    } catch {
      // A malformed event is skipped; the next reload reads the truth from the API.
    }
  });
  return () => source.close();
}

/** Every page of a list endpoint ({value, nextAfter}), at most `max` items. */
export async function getAll<T>(path: string, query: Query = {}, max = 5000): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  do {
    const page = await get<{ value: T[]; nextAfter?: string }>(path, { ...query, limit: 1000, after });
    items.push(...page.value);
    after = page.nextAfter;
  } while (after && items.length < max);
  return items;
}

/** If-Match with the resource's version: a change made meanwhile is refused (409 aborted). */
export function ifMatch(resource: { version?: number }): Record<string, string> {
  return resource.version === undefined ? {} : { 'If-Match': String(resource.version) };
}

/** A fresh Idempotency-Key (a retried click is not done twice). */
export function idempotencyKey(): Record<string, string> {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return { 'Idempotency-Key': Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') };
}
