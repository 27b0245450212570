// The screen JSON the agent sends (src/device/flow/screen_json.cpp; docs: OOBE-WEB-PROTOCOL).
// The page renders it and never decides: every text, field and button comes from here.

export type ScreenName =
  | 'connecting'
  | 'region'
  | 'keyboard'
  | 'connectNetwork'
  | 'welcome'
  | 'optionsMenu'
  | 'landing'
  | 'esp'
  | 'provisioned'
  | 'provisioningFailed'
  | 'resealed'
  | 'oobePage'
  | 'signIn'
  | 'mfaRegistration'
  | 'mfa'
  | 'privacy'
  | 'espError'
  | 'desktop'
  | 'reset'
  | 'stopped';

export type PhaseName = 'devicePreparation' | 'deviceSetup' | 'accountSetup';

export interface Field {
  label: string;
  value?: string;
  secret?: boolean;
}

export interface Check {
  label: string;
  passed: boolean;
  detail?: string;
}

export interface Item {
  id: string;
  name: string;
  state: string;
  /** "42% (1.2 of 2.9 MB)", or "1.2 MB" when the total is unknown. */
  progress?: string;
  attempt?: number;
  elapsedSeconds?: number;
  error?: string;
}

export interface Category {
  name: string;
  /** "Identifying", "2 of 3 installed", "2 of 3 installed, 1 failed", "Complete"... */
  status: string;
  done?: number;
  total?: number;
  items?: Item[];
}

export interface Phase {
  phase: PhaseName;
  name: string;
  status: string;
  details: boolean;
  categories: Category[];
}

export interface Input {
  name: string;
  label: string;
  value?: string;
  secret?: boolean;
  locked?: boolean;
}

export type Tone = 'info' | 'warning' | 'error' | 'success';

export interface Notice {
  tone: Tone;
  text: string;
}

export interface Button {
  action: string;
  label: string;
  /** The terminal's shortcut: "Enter" or one character. */
  key?: string;
  phase?: PhaseName;
  /** Taken but never drawn (the technician key on "welcome"). */
  hidden?: boolean;
}

export interface Screen {
  screen: ScreenName;
  title: string;
  text?: string[];
  fields?: Field[];
  qr?: string;
  checks?: Check[];
  phases?: Phase[];
  inputs?: Input[];
  notice?: Notice;
  buttons?: Button[];
}

/** `event: screen` */
export interface ScreenEvent {
  version: number;
  screen: Screen;
}

/** `event: end` */
export interface EndEvent {
  version: number;
  exit: number;
}

/** The body of POST /press. */
export interface Press {
  version: number;
  action: string;
  phase?: PhaseName;
  inputs?: Record<string, string>;
}
