// Small pure helpers for reading the screen JSON. The texts are the agent's
// (src/device/flow/screen.cpp); these only choose how they look.
import type { Button, Category, Check, Phase, Screen } from './types';

/** As the agent's FormatElapsed: "45 s", "3 min 05 s", "1 h 02 min". */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${two(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${two(Math.floor((s % 3600) / 60))} min`;
}

/** The percentage at the start of an item's progress ("42% (1.2 of 2.9 MB)"), if any. */
export function percentOf(progress: string | undefined): number | undefined {
  const match = progress ? /^(\d{1,3})%/.exec(progress) : null;
  return match ? Math.min(100, Number(match[1])) : undefined;
}

/** Item states while something runs (screen.cpp ItemState). */
const RUNNING_STATES = new Set([
  'Downloading',
  'Installing',
  'Applying',
  'Requesting',
  'Removing',
  'Working on it',
]);

export function isRunning(state: string): boolean {
  return RUNNING_STATES.has(state);
}

/** How a status looks: a tick, a cross, a spinner or a quiet dot. */
export type Mark = 'done' | 'failed' | 'working' | 'waiting';

export function phaseMark(phase: Phase): Mark {
  if (phase.status === 'Complete') return 'done';
  if (phase.status === 'Failed') return 'failed';
  if (phase.status === 'Working on it') return 'working';
  return 'waiting';
}

export function categoryMark(category: Category, phase: Phase): Mark {
  const status = category.status;
  if (/failed|timed out/i.test(status)) return 'failed';
  if (status === 'Complete' || status === 'No setup needed') return 'done';
  if (category.total !== undefined && category.total > 0 && category.done === category.total) {
    return 'done';
  }
  if (isRunning(status)) return 'working';
  return phaseMark(phase) === 'working' && status !== 'Waiting' ? 'working' : 'waiting';
}

export function checkMark(check: Check): Mark {
  return check.passed ? 'done' : 'failed';
}

/** The buttons drawn in the screen's action row (not the phases' Show/Hide details). */
export function actionButtons(screen: Screen): Button[] {
  return (screen.buttons ?? []).filter((b) => !b.hidden && b.action !== 'toggleDetails');
}

/** The button Enter presses: the first whose key is Enter. */
export function enterButton(screen: Screen): Button | undefined {
  return (screen.buttons ?? []).find((b) => b.key === 'Enter' && !b.hidden);
}

/** The button a single-character key presses (hidden ones too: the technician key). */
export function buttonForKey(screen: Screen, key: string): Button | undefined {
  const wanted = key.toLowerCase();
  return (screen.buttons ?? []).find(
    (b) => b.key !== undefined && b.key !== 'Enter' && b.key.toLowerCase() === wanted,
  );
}

/** The organization's name where the screen gives it: a field, or the sign-in greeting. */
export function organizationOf(screen: Screen): string | undefined {
  const field = screen.fields?.find((f) => f.label === 'Organization');
  if (field?.value) return field.value;
  if (screen.screen === 'signIn') {
    const greeting = /^Welcome to (.+)$/.exec(screen.title);
    if (greeting) return greeting[1];
  }
  return undefined;
}

const FAILURE_SCREENS = new Set<Screen['screen']>(['espError', 'provisioningFailed', 'stopped']);

/**
 * What the live region says when the screen changes: the title on a new screen; on the same
 * screen the phases' and categories' status changes and a new notice (never byte counts).
 */
export function announcement(previous: Screen | undefined, next: Screen): string {
  if (!previous || previous.screen !== next.screen || previous.title !== next.title) {
    // A failure screen's error is what matters: say it with the title (its text paragraphs
    // are read with the page; the region repeats no more of the screen than it must).
    const error = FAILURE_SCREENS.has(next.screen)
      ? next.fields?.find((f) => f.label === 'Error')?.value
      : undefined;
    return sentences([next.title, error, next.notice?.text]);
  }
  const said: string[] = [];
  for (const phase of next.phases ?? []) {
    const before = previous.phases?.find((p) => p.phase === phase.phase);
    if (!before || before.status !== phase.status) said.push(`${phase.name}: ${phase.status}`);
    for (const category of phase.categories) {
      const was = before?.categories.find((c) => c.name === category.name);
      if (was && was.status !== category.status) {
        said.push(`${category.name}: ${category.status}`);
      }
    }
  }
  if (next.notice && next.notice.text !== previous.notice?.text) said.push(next.notice.text);
  return sentences(said);
}

/** Texts joined as sentences: a full stop after each that has no closing mark of its own. */
function sentences(texts: (string | undefined)[]): string {
  return texts
    .filter((t): t is string => Boolean(t))
    .map((t) => (/[.!?:…]$/.test(t) ? t : `${t}.`))
    .join(' ');
}
