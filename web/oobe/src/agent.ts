// Talking to groundcrew-agent: the screen stream (Server-Sent Events, GET /events) and presses
// (POST /press). The token comes from the page's own URL (?token=...), printed by the agent.
import type { EndEvent, Press, ScreenEvent } from './types';

export function tokenFromLocation(search: string = location.search): string {
  return new URLSearchParams(search).get('token') ?? '';
}

export type Link = 'connecting' | 'open' | 'reconnecting' | 'restarting' | 'closed';

/** The agent's exit code when an app asked for a restart: it runs again and carries on. */
const RESTART_REQUESTED = 3;

export interface StreamHandlers {
  onScreen(event: ScreenEvent): void;
  onEnd(event: EndEvent): void;
  onLink(link: Link): void;
}

/**
 * Opens the event stream. The browser's EventSource reconnects by itself after a drop, and the
 * agent sends the current screen at once on each connection; the page never polls. Returns a
 * function that closes the stream.
 */
export function openStream(token: string, handlers: StreamHandlers): () => void {
  const source = new EventSource(`/events?token=${encodeURIComponent(token)}`);
  let ended = false;
  let restarting = false;
  handlers.onLink('connecting');
  source.onopen = () => {
    restarting = false;
    handlers.onLink('open');
  };
  source.onerror = () => {
    if (ended) return;
    if (restarting && source.readyState !== EventSource.CLOSED) return;  // still 'restarting'
    // CONNECTING: the browser is retrying. CLOSED: it gave up (the agent answered with an
    // error, e.g. 403 after a restart with a new token): only a reload can help.
    handlers.onLink(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  };
  source.addEventListener('screen', (message) => {
    const parsed = parse<ScreenEvent>((message as MessageEvent<string>).data);
    if (parsed && typeof parsed.version === 'number' && parsed.screen) handlers.onScreen(parsed);
  });
  source.addEventListener('end', (message) => {
    const parsed = parse<EndEvent>((message as MessageEvent<string>).data);
    if (parsed?.exit === RESTART_REQUESTED) {
      // The run goes on after the restart, with the same token: the stream reconnects by itself.
      restarting = true;
      handlers.onLink('restarting');
      return;
    }
    ended = true;
    source.close();
    handlers.onEnd(parsed ?? { version: -1, exit: 0 });
  });
  return () => {
    ended = true;
    source.close();
  };
}

function parse<T>(data: string): T | undefined {
  try {
    return JSON.parse(data) as T;
  } catch {
    return undefined;
  }
}

/** What became of a press. */
export type PressResult =
  | { kind: 'accepted' }
  | { kind: 'stale' } // the screen changed meanwhile: the next screen event brings the new one
  | { kind: 'refused'; message: string }
  | { kind: 'unreachable' };

export async function sendPress(token: string, press: Press): Promise<PressResult> {
  let response: Response;
  try {
    response = await fetch('/press', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Groundcrew-Token': token },
      body: JSON.stringify(press),
      cache: 'no-store',
    });
  } catch {
    return { kind: 'unreachable' };
  }
  if (response.status === 202 || response.ok) return { kind: 'accepted' };
  if (response.status === 409) return { kind: 'stale' };
  let message = `The device answered ${response.status}.`;
  try {
    const body = (await response.json()) as { message?: string };
    if (body.message) message = body.message;
  } catch {
    // not JSON: keep the status line
  }
  return { kind: 'refused', message };
}
