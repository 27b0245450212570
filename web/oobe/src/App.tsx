// The page: follows the agent's screen stream, draws the latest screen, and posts presses.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type Link, openStream, type PressResult, sendPress, tokenFromLocation } from './agent';
import { actionButtons, announcement, buttonForKey, enterButton, organizationOf } from './format';
import { ScreenView } from './ScreenView';
import type { Button, Screen } from './types';

const WAITING: Screen = {
  screen: 'connecting',
  title: 'Just a moment...',
  text: ['Connecting to the device.'],
};

const NO_TOKEN: Screen = {
  screen: 'stopped',
  title: 'This page needs its address',
  notice: {
    tone: 'error',
    text: 'Open the address the device printed (OOBE: http://127.0.0.1:PORT/?token=...), token included.',
  },
};

/** How long a press found stale is sent again while only progress moves. */
const RESEND_FOR_MS = 10_000;

function offers(screen: Screen, button: Button): boolean {
  return (screen.buttons ?? []).some((b) => b.action === button.action && b.phase === button.phase);
}

/**
 * What a person decides on: the screen without what fills in as the device works (the phases
 * and the Show/Hide details labels that follow them; the landing's pre-flight checks, which
 * come a moment after the landing). The ESP and the privacy page change with every progress
 * report; a press made on one version still means the same on the next while this is equal.
 */
function decisionOf(screen: Screen): string {
  const { phases: _progress, checks: _checks, buttons, ...rest } = screen;
  const decisions = (buttons ?? []).filter((b) => b.action !== 'toggleDetails');
  return JSON.stringify([rest, decisions]);
}

/** Inputs' prefilled values (secret ones are never sent prefilled). */
function prefilled(screen: Screen): Record<string, string> {
  const values: Record<string, string> = {};
  for (const input of screen.inputs ?? []) values[input.name] = input.value ?? '';
  return values;
}

/** A new screen for focus and typed text: another screen, title or set of inputs. */
function identityOf(screen: Screen): string {
  return JSON.stringify([screen.screen, screen.title, screen.inputs ?? []]);
}

/** Where the focus goes when a screen comes up (or comes back with a message). */
function focusKeyOf(screen: Screen): string {
  return JSON.stringify([identityOf(screen), actionButtons(screen).length > 0, screen.notice]);
}

function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
}

export function App() {
  const token = useRef(tokenFromLocation()).current;
  const [screen, setScreen] = useState<Screen>(token ? WAITING : NO_TOKEN);
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [link, setLink] = useState<Link>('connecting');
  const [ended, setEnded] = useState(false);
  const [busy, setBusy] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  const [localNotice, setLocalNotice] = useState<string | undefined>(undefined);
  const [organization, setOrganization] = useState<string | undefined>(undefined);
  const [spoken, setSpoken] = useState('');

  // Read by callbacks that must see the latest values without re-subscribing.
  const latest = useRef({ screen, version, busy, ended });
  latest.current = { screen, version, busy, ended };
  const valuesRef = useRef(values);
  valuesRef.current = values;
  const resetInputsOnNext = useRef(false);
  const technicianChain = useRef<Promise<unknown>>(Promise.resolve());
  const screenWaiters = useRef<(() => void)[]>([]);

  /** Resolves on the next screen event, or after `ms`. */
  const nextScreen = (ms: number) =>
    new Promise<void>((wake) => {
      screenWaiters.current.push(wake);
      setTimeout(wake, ms);
    });

  // A press goes with the version it was made on. When the agent answers 409 (the screen moved
  // on meanwhile), it is sent again on the newest version if only progress moved: the same
  // screen, the same decision (decisionOf), the same button. Otherwise the page waits for the
  // person, who sees the new screen.
  const sendOnLatest = async (button: Button, inputs?: Record<string, string>) => {
    const pressedOn = decisionOf(latest.current.screen);
    let result: PressResult = { kind: 'stale' };
    let version = -1;
    // While the ESP moves fast the agent may be a version or two ahead of the stream: keep
    // trying on the newest screen for a while (it settles as soon as an item takes a moment).
    const giveUpAt = Date.now() + RESEND_FOR_MS;
    for (let i = 0; ; i++) {
      const now = latest.current;
      if (now.ended || now.version === undefined) break;
      if (i > 0 && (decisionOf(now.screen) !== pressedOn || !offers(now.screen, button))) break;
      version = now.version;
      result = await sendPress(token, {
        version,
        action: button.action,
        ...(button.phase ? { phase: button.phase } : {}),
        ...(inputs ? { inputs } : {}),
      });
      if (result.kind !== 'stale' || Date.now() >= giveUpAt) break;
      await nextScreen(500);
    }
    return { result, version };
  };

  useEffect(() => {
    if (!token) return undefined;
    return openStream(token, {
      onScreen: ({ version: v, screen: next }) => {
        const previous = latest.current.screen;
        const fresh = identityOf(previous) !== identityOf(next);
        // Typed text goes after an accepted press once the screen takes input again (a wrong
        // password is typed anew), not while it says "Signing in...".
        const takesInput = actionButtons(next).length > 0;
        if (fresh || (resetInputsOnNext.current && takesInput)) {
          setValues(prefilled(next));
          resetInputsOnNext.current = false;
        }
        if (fresh) setLocalNotice(undefined);
        const said = announcement(previous === WAITING ? undefined : previous, next);
        if (said) setSpoken(said);
        const org = organizationOf(next);
        if (org) setOrganization(org);
        // Presses read `latest` at once, before the next render.
        latest.current = { ...latest.current, screen: next, version: v };
        setScreen(next);
        setVersion(v);
        setLink('open');
        const waiting = screenWaiters.current;
        screenWaiters.current = [];
        waiting.forEach((wake) => wake());
      },
      onEnd: () => {
        setEnded(true);
        setLink('open');
      },
      onLink: setLink,
    });
  }, [token]);

  const press = useCallback(
    (button: Button) => {
      const now = latest.current;
      if (now.ended || now.version === undefined) return;
      if (button.action === 'technicianKey') {
        // One after another, and never dropped while another press is in flight.
        technicianChain.current = technicianChain.current.then(() => sendOnLatest(button));
        return;
      }
      if (now.busy) return;
      const typed = now.screen.inputs && now.screen.inputs.length > 0 ? valuesRef.current : undefined;
      setBusy(true);
      latest.current = { ...latest.current, busy: true };
      setLocalNotice(undefined);
      // A press the agent took (202) is acted on, even when a progress report replaces the
      // screen first: it is never sent twice (Show details twice would hide them again).
      const sending = sendOnLatest(button, typed).then((sent) => sent.result);
      void sending.then((result) => {
        setBusy(false);
        if (result.kind === 'accepted') resetInputsOnNext.current = true;
        if (result.kind === 'refused') setLocalNotice(result.message);
        // stale: the next screen event brings what is up now; unreachable: the stream's
        // banner says so.
      });
    },
    [token],
  );

  // Keys: Enter presses the screen's Enter button unless focus is on another button or link;
  // a button's own key presses it unless focus is in a text field (the technician key too).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
      const target = event.target;
      const current = latest.current.screen;
      if (event.key === 'Enter') {
        if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement) return;
        if (target instanceof HTMLTextAreaElement) return;
        const button = enterButton(current);
        if (!button) return;
        event.preventDefault();
        if (!event.repeat) press(button);
        return;
      }
      if (event.key.length !== 1 || isTextEntry(target)) return;
      const button = buttonForKey(current, event.key);
      if (!button) return;
      event.preventDefault();
      if (!event.repeat) press(button);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [press]);

  // The first screen from the agent is up: a mark the browser test reads (Performance API).
  const shownFirst = version !== undefined;
  useEffect(() => {
    if (shownFirst && performance.getEntriesByName('oobe-first-screen').length === 0) {
      performance.mark('oobe-first-screen');
    }
  }, [shownFirst]);

  // Focus: the first input that can be typed in, else the primary button, else the title.
  const focusKey = focusKeyOf(screen);
  const formHost = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const host = formHost.current;
    if (!host) return;
    const input = host.querySelector<HTMLInputElement>('input:not([readonly])');
    const primary = host.querySelector<HTMLButtonElement>('.actions .button.primary');
    const title = host.querySelector<HTMLElement>('h1');
    (input ?? primary ?? title)?.focus();
  }, [focusKey]);

  const onValue = useCallback((name: string, value: string) => {
    setValues((old) => ({ ...old, [name]: value }));
  }, []);

  return (
    <div class="shell">
      <header class="topbar">
        <span class="org">{organization ?? ''}</span>
      </header>
      {link === 'reconnecting' && !ended && (
        <div class="banner" role="status">
          Reconnecting to the device…
        </div>
      )}
      {link === 'restarting' && !ended && (
        <div class="banner" role="status">
          Restarting to finish setting up… This page goes on by itself.
        </div>
      )}
      {link === 'closed' && !ended && (
        <div class="banner banner-lost" role="status">
          Lost the connection to the device. Reload the page to try again.
        </div>
      )}
      <main class="panel" ref={formHost}>
        <ScreenView
          screen={screen}
          values={values}
          onValue={onValue}
          onPress={press}
          busy={busy || ended || link === 'restarting'}
          localNotice={localNotice}
        />
      </main>
      <div class="sr-only" aria-live="polite" aria-atomic="true">
        {spoken}
      </div>
    </div>
  );
}
