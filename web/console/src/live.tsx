// Live pages: the deployment event stream (Server-Sent Events, no polling), its state as the page
// shows it, and reloads coalesced so that a burst of events reads the API once.
import { useEffect, useRef, useState } from 'preact/hooks';
import { followEvents, type StreamState } from './api';

/** Follows the deployment event stream (all devices, or one): `onEvent` for each event. */
export function useLiveEvents<T>(path: string, onEvent: (event: T) => void): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => followEvents<T>(path, (event) => handler.current(event), setState), [path]);
  return state;
}

/**
 * Coalesces calls: the first call starts a timer of `ms`, calls until it fires are absorbed, then
 * `fn` runs once. A steady flow of events reloads at most once per `ms`, and never waits longer.
 */
export function useCoalesced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  };
}

export function LiveState({ state }: { state: StreamState }) {
  const text = {
    connecting: 'Connecting to live updates…',
    live: 'Live',
    reconnecting: 'Live updates interrupted; reconnecting…',
    closed: 'Live updates unavailable (the event stream was refused); reload the page to try again',
  }[state];
  return (
    <span class={`stream ${state}`} role="status">
      {text}
    </span>
  );
}
