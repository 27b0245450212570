// The API's shapes the console reads (docs/openapi.yaml); only the fields it shows.

export interface Page<T> {
  value: T[];
  nextAfter?: string;
}

export interface ProfileRef {
  id: string;
  displayName: string;
}

export interface DeploymentSession {
  id: string;
  deviceId: string;
  flow: string;
  userPrincipalName: string;
  deploymentState: string;
  startedDateTime: string;
  finishedDateTime: string | null;
}

/** A row of GET /v1/autopilotDevices and GET /v1/autopilotDevices/{id}. */
export interface Device {
  id: string;
  serialNumber: string;
  displayName?: string;
  deviceName?: string | null;
  userPrincipalName?: string;
  addressableUserName?: string;
  groupTag?: string;
  manufacturer?: string;
  model?: string;
  productKey?: string;
  azureAdDeviceId?: string;
  enrollmentState?: string;
  deploymentProfile?: ProfileRef | null;
  deploymentProfileAssignmentStatus?: string;
  deploymentState?: string;
  lastDeploymentDateTime?: string | null;
  lastFlow?: string | null;
  lastDeployment?: DeploymentSession | null;
  lastContactedDateTime?: string | null;
  createdDateTime?: string;
  version?: number;
}

export interface FlowFigures {
  succeeded: number;
  failed: number;
  successRate: number | null;
  medianDurationSeconds: number | null;
}

export interface Dashboard {
  inProgress: { deviceId: string; serialNumber: string; deviceName: string; flow: string; phase: string; startedDateTime: string }[];
  failedLast24Hours: {
    deviceId: string;
    serialNumber: string;
    deviceName: string;
    flow: string;
    finishedDateTime: string;
    errorMessage: string;
  }[];
  flows: Record<string, FlowFigures>;
  waitingForUserFlow: number;
  generatedDateTime: string;
}

/** An event of /v1/deploymentEvents and of the stream. */
export interface DeploymentEvent {
  sequence: number;
  sessionId: string;
  deviceId: string;
  serialNumber: string;
  flow: string;
  at: string;
  kind: string;
  detail: Record<string, unknown> | string;
}

export interface ReportPhase {
  phase: string;
  status: string;
  runs: number;
  startedDateTime: string | null;
  finishedDateTime: string | null;
  durationSeconds: number | null;
  code: string | null;
  message: string | null;
}

export interface ReportItem {
  phase: string;
  id: string;
  displayName: string;
  status: string;
  attempts: number;
  startedDateTime: string | null;
  finishedDateTime: string | null;
  durationSeconds: number | null;
  code: string | null;
  message: string | null;
}

export interface ReportSession {
  id: string;
  flow: string;
  userPrincipalName: string;
  deploymentState: string;
  startedDateTime: string;
  finishedDateTime: string | null;
  durationSeconds: number | null;
  phases: ReportPhase[];
  items: ReportItem[];
  compliance?: { before: { state: string } | null; after: { state: string } | null };
  eventCount: number;
}

export interface Report {
  deploymentState: string | null;
  sessions: ReportSession[];
}

export interface PlanItem {
  kind: string;
  id: string;
  displayName: string;
  version?: string;
  action: string;
  blocking: boolean;
  deferred: boolean;
  reason?: string;
  planError?: string;
  context?: string;
}

export interface PlanPhase {
  phase: string;
  timeoutInMinutes?: number;
  items: PlanItem[];
}

export interface EspPlan {
  flow: string;
  espProfileName?: string;
  deviceSetup: PlanPhase;
  accountSetup?: PlanPhase;
}

export interface Plan {
  serialNumber: string;
  deviceName: string | null;
  groups: string[];
  deploymentProfile: { id: string; displayName: string; preprovisioningAllowed?: boolean } | null;
  userPrincipalName: string | null;
  technician: EspPlan | null;
  user: EspPlan | null;
  userFlowBasis?: string;
  findings: { severity: string; code: string; message: string }[];
}

export interface DiagnosticsArchive {
  id: string;
  fileName: string;
  sizeBytes: number;
  uploadedDateTime: string;
  expiresDateTime: string;
}

export interface ImportRow {
  row: number;
  serialNumber: string;
  status: 'imported' | 'failed' | 'notImported';
  id?: string;
  error?: { code: string; message: string; column: string | null };
}

export interface ImportResult {
  imported: number;
  rows: ImportRow[];
}

/** Any catalog resource (users, groups, profiles, payloads, assignments). */
export interface Resource {
  id: string;
  displayName?: string;
  description?: string;
  version?: number;
  lastModifiedDateTime?: string;
  [key: string]: unknown;
}

export interface Group extends Resource {
  membershipKind?: 'assigned' | 'dynamic';
  membershipRule?: string;
}

export interface GroupMember {
  '@odata.type': string;
  id: string;
  userPrincipalName?: string;
  serialNumber?: string;
}

export interface RuleClause {
  expression: string;
  matches: boolean;
  values?: string[];
}

export interface RuleResult {
  id: string;
  displayName: string;
  matches: boolean;
  clauses: RuleClause[];
}

export interface Assignment extends Resource {
  payloadKind: string;
  payloadId: string;
  target: { '@odata.type': string; groupId?: string };
  intent?: string;
}

export interface User extends Resource {
  userPrincipalName: string;
  department?: string;
  jobTitle?: string;
}

export interface UserSignIn {
  userId: string;
  userPrincipalName: string;
  passwordSet: boolean;
  mfaEnrolled: boolean;
  recentFailures: number;
  lockedUntil: string | null;
  deviceLocks?: { deviceId: string; recentFailures: number; lockedUntil: string | null }[];
}

export interface AuditEntry {
  sequence: number;
  at: string;
  actor: string;
  action: string;
  resourceKind: string;
  resourceId: string;
  resourceName: string;
  detail: unknown;
}

export interface Admin {
  name: string;
  role: string;
  createdDateTime: string;
  lastSignInDateTime: string | null;
  lockedUntilDateTime: string | null;
}

export interface AdminSecret {
  name: string;
  role?: string;
  totpSecret: string;
  otpauthUri: string;
}

export interface CatalogSetting {
  id: string;
  title: string;
  description: string;
  type: 'bool' | 'integer' | 'choice' | 'text' | 'list' | 'portList';
  minimum?: number;
  maximum?: number;
  choices?: string[];
  default?: unknown;
}
