// Draws one screen from its JSON: title, text, fields, QR code, checklist, ESP phases, inputs,
// notice and buttons, with a few per-screen touches (layout, an icon). It decides nothing: a
// press goes to `onPress` and the agent answers with the next screen.
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import {
  actionButtons,
  categoryMark,
  checkMark,
  formatElapsed,
  isRunning,
  type Mark,
  percentOf,
  phaseMark,
} from './format';
import { Qr } from '../../shared/Qr';
import type { Button, Category, Check, Field, Input, Item, Phase, Screen } from './types';

export interface ScreenViewProps {
  screen: Screen;
  values: Record<string, string>;
  onValue(name: string, value: string): void;
  onPress(button: Button): void;
  /**
   * A press is in flight, or the run has ended: buttons take no press. They stay focusable
   * (aria-disabled, not disabled) so the keyboard's place survives a press.
   */
  busy: boolean;
  /** A message of the page's own (the agent refused a press). */
  localNotice?: string;
}

/** Screens that end a flow, and the big mark they carry. */
const HERO: Partial<Record<Screen['screen'], Mark>> = {
  provisioned: 'done',
  resealed: 'done',
  desktop: 'done',
  provisioningFailed: 'failed',
  stopped: 'failed',
  connecting: 'working',
};

export function MarkIcon({ mark, large }: { mark: Mark; large?: boolean }) {
  const cls = `mark mark-${mark}${large ? ' mark-large' : ''}`;
  if (mark === 'working') return <span class={cls} aria-hidden="true" />;
  return (
    <span class={cls} aria-hidden="true">
      <svg viewBox="0 0 16 16">
        {mark === 'done' && <path d="M4 8.5l2.6 2.5L12 5.5" />}
        {mark === 'failed' && <path d="M5 5l6 6M11 5l-6 6" />}
      </svg>
    </span>
  );
}

export function ScreenView(props: ScreenViewProps) {
  const { screen, busy } = props;
  const hero = HERO[screen.screen];
  const actions = actionButtons(screen);
  const toggles = (screen.buttons ?? []).filter((b) => b.action === 'toggleDetails' && !b.hidden);
  const hasQr = Boolean(screen.qr);
  const compactPhases = screen.screen === 'privacy';
  const inputsLocked = busy || actions.length === 0;
  const primary = actions[0];

  // Enter is the page's keyboard handler's (App): it presses the screen's Enter button.
  const onSubmit = (event: JSX.TargetedEvent<HTMLFormElement>) => event.preventDefault();

  return (
    <form class={`screen screen-${screen.screen}`} onSubmit={onSubmit} noValidate>
      <div class={`content${hasQr ? ' with-qr' : ''}`}>
        <div class="main-column">
          {hero && <MarkIcon mark={hero} large />}
          <h1 tabIndex={-1}>{screen.title}</h1>
          {(screen.text ?? []).map((paragraph, i) => (
            <p class="lead" key={i}>
              {paragraph}
            </p>
          ))}
          {screen.fields && screen.fields.length > 0 && <Fields fields={screen.fields} />}
          {screen.checks && screen.checks.length > 0 && <Checks checks={screen.checks} />}
          {screen.phases && screen.phases.length > 0 && (
            <Phases
              phases={screen.phases}
              toggles={toggles}
              compact={compactPhases}
              busy={busy}
              onPress={props.onPress}
            />
          )}
          {screen.inputs && screen.inputs.length > 0 && (
            <Inputs
              inputs={screen.inputs}
              values={props.values}
              locked={inputsLocked}
              onValue={props.onValue}
            />
          )}
          {screen.notice && (
            <p class={`notice notice-${screen.notice.tone}`}>{screen.notice.text}</p>
          )}
          {props.localNotice && <p class="notice notice-error">{props.localNotice}</p>}
        </div>
        {hasQr && (
          <div class="side-column">
            <Qr text={screen.qr ?? ''} label={qrLabel(screen)} />
          </div>
        )}
      </div>
      {actions.length > 0 && (
        <div class="actions">
          {actions.map((button, i) => (
            <button
              key={`${button.action}-${i}`}
              type="button"
              class={button === primary ? 'button primary' : 'button'}
              aria-disabled={busy}
              data-action={button.action}
              onClick={() => {
                if (!busy) props.onPress(button);
              }}
            >
              {button.label}
            </button>
          ))}
        </div>
      )}
    </form>
  );
}

function qrLabel(screen: Screen): string {
  if (screen.screen === 'mfaRegistration') return 'QR code for your authenticator app';
  return "QR code with this device's registration";
}

function Fields({ fields }: { fields: Field[] }) {
  return (
    <dl class="fields">
      {fields.map((field, i) => (
        <div class={`field${field.label === 'Error' ? ' field-error' : ''}`} key={i}>
          <dt>{field.label}</dt>
          <dd class={field.secret ? 'secret' : undefined}>{field.value ?? ''}</dd>
        </div>
      ))}
    </dl>
  );
}

function Checks({ checks }: { checks: Check[] }) {
  return (
    <section class="checks" aria-label="Pre-flight checks">
      <h2>Pre-flight checks</h2>
      <ul>
        {checks.map((check, i) => (
          <li key={i} class={check.passed ? 'check passed' : 'check failed'}>
            <MarkIcon mark={checkMark(check)} />
            <span class="sr-only">{check.passed ? 'Passed: ' : 'Failed: '}</span>
            <span class="check-label">{check.label}</span>
            {check.detail && <span class="check-detail">{check.detail}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

interface PhasesProps {
  phases: Phase[];
  toggles: Button[];
  compact: boolean;
  busy: boolean;
  onPress(button: Button): void;
}

function Phases({ phases, toggles, compact, busy, onPress }: PhasesProps) {
  return (
    <ol class={`phases${compact ? ' compact' : ''}`}>
      {phases.map((phase) => (
        <PhaseRow
          key={phase.phase}
          phase={phase}
          toggle={toggles.find((b) => b.phase === phase.phase)}
          compact={compact}
          busy={busy}
          onPress={onPress}
        />
      ))}
    </ol>
  );
}

interface PhaseRowProps {
  phase: Phase;
  toggle: Button | undefined;
  compact: boolean;
  busy: boolean;
  onPress(button: Button): void;
}

function PhaseRow({ phase, toggle, compact, busy, onPress }: PhaseRowProps) {
  const mark = phaseMark(phase);
  const headingId = `phase-${phase.phase}`;
  // Details just opened: bring the phase's items into view (the panel scrolls).
  const row = useRef<HTMLLIElement>(null);
  const hadDetails = useRef(phase.details);
  useEffect(() => {
    if (phase.details && !hadDetails.current) {
      row.current?.scrollIntoView({ block: 'nearest' });
    }
    hadDetails.current = phase.details;
  }, [phase.details]);
  return (
    <li class={`phase phase-${mark}`} ref={row}>
      <div class="phase-head">
        <MarkIcon mark={mark} />
        <h2 id={headingId}>{phase.name}</h2>
        <span class="phase-status">{phase.status}</span>
        {toggle && (
          <button
            type="button"
            class="button link"
            aria-disabled={busy}
            aria-expanded={phase.details}
            aria-describedby={headingId}
            data-action="toggleDetails"
            data-phase={phase.phase}
            onClick={() => onPress(toggle)}
          >
            {toggle.label}
          </button>
        )}
      </div>
      {!compact && (
        <ul class="categories">
          {phase.categories.map((category, i) => (
            <CategoryRow
              key={`${category.name}-${i}`}
              category={category}
              phase={phase}
              details={phase.details}
            />
          ))}
        </ul>
      )}
    </li>
  );
}

function CategoryRow({
  category,
  phase,
  details,
}: {
  category: Category;
  phase: Phase;
  details: boolean;
}) {
  const mark = categoryMark(category, phase);
  return (
    <li class={`category category-${mark}`}>
      <div class="category-head">
        <MarkIcon mark={mark} />
        <span class="category-name">{category.name}</span>{' '}
        <span class="category-status">({category.status})</span>
      </div>
      {details && category.items && category.items.length > 0 && (
        <ul class="items">
          {category.items.map((item) => (
            <ItemRow key={item.id} item={item} />
          ))}
        </ul>
      )}
    </li>
  );
}

function ItemRow({ item }: { item: Item }) {
  const percent = percentOf(item.progress);
  const running = isRunning(item.state) || Boolean(item.progress);
  const meta: string[] = [];
  if (item.attempt !== undefined && item.attempt > 1) meta.push(`Attempt ${item.attempt}`);
  if (item.elapsedSeconds !== undefined) meta.push(formatElapsed(item.elapsedSeconds));
  return (
    <li class={`item${item.error ? ' item-failed' : ''}`}>
      <div class="item-line">
        <span class="item-name">{item.name}</span>
        <span class="item-state">
          {item.state}
          {item.progress ? ` · ${item.progress}` : ''}
        </span>
        {meta.length > 0 && <span class="item-meta">{meta.join(' · ')}</span>}
      </div>
      {running && (
        <progress
          class="bar"
          max={100}
          value={percent}
          aria-label={`${item.name}: ${item.state}`}
        />
      )}
      {item.error && <p class="item-error">{item.error}</p>}
    </li>
  );
}

function Inputs({
  inputs,
  values,
  locked,
  onValue,
}: {
  inputs: Input[];
  values: Record<string, string>;
  locked: boolean;
  onValue(name: string, value: string): void;
}) {
  return (
    <div class="inputs">
      {inputs.map((input) => {
        const id = `input-${input.name}`;
        return (
          <div class="input" key={input.name}>
            <label for={id}>{input.label}</label>
            <input
              id={id}
              name={input.name}
              type={input.secret ? 'password' : 'text'}
              value={values[input.name] ?? ''}
              readOnly={input.locked || locked}
              aria-readonly={input.locked || locked}
              class={input.locked ? 'locked' : undefined}
              autoComplete={autocompleteOf(input.name)}
              inputMode={input.name === 'code' ? 'numeric' : undefined}
              spellcheck={false}
              autoCapitalize="off"
              onInput={(event) => onValue(input.name, (event.target as HTMLInputElement).value)}
            />
          </div>
        );
      })}
    </div>
  );
}

function autocompleteOf(name: string): string {
  switch (name) {
    case 'userPrincipalName':
      return 'username';
    case 'password':
      return 'current-password';
    case 'code':
      return 'one-time-code';
    default:
      return 'off';
  }
}
