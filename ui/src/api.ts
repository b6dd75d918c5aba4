// The one door from the front end to Rust: every command and plugin call
// goes through here, typed. Components never call `invoke` themselves.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { open as openDialog } from "@tauri-apps/plugin-dialog";
import { openPath, revealItemInDir } from "@tauri-apps/plugin-opener";

export type Value = string | number | boolean | string[] | null;
export type FieldValues = Record<string, Value>;

/** The error every command rejects with. */
export interface CommandError {
  code: string;
  message: string;
}

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export interface Profile {
  sub_district: string;
  committee: string;
  staff: string;
  language: string;
}

export interface AppStatus {
  data_dir: string;
  model_installed: boolean;
  model_loaded: boolean;
  profile: Profile;
  version: string;
}

export interface ModelStatus {
  name: string;
  file: string;
  supported: boolean;
  multilingual: boolean | null;
  approx_size: number | null;
  installed: boolean;
  size: number | null;
  default: boolean;
}

export interface Installed {
  name: string;
  path: string;
  size: number;
  source: string;
  changed: boolean;
}

export interface DeviceSummary {
  id: string;
  name: string;
  is_default: boolean;
  is_chosen: boolean;
}

export interface Microphones {
  devices: DeviceSummary[];
  chosen: string | null;
}

export interface FieldSpec {
  key: string;
  title: string;
  title_en?: string | null;
  type: string;
  required: boolean;
  choices?: string[];
  unit?: string | null;
}

export interface RecordType {
  id: string;
  version: number;
  title: string;
  title_en?: string | null;
  date_field: string;
  fields: FieldSpec[];
  enterable: boolean;
}

export interface Governance {
  status: "draft" | "active" | "retired";
  approved_by?: string | null;
  approval_document?: string | null;
  approved_on?: string | null;
  review_on?: string | null;
}

export interface Ledger {
  id: string;
  code: string;
  title: string;
  title_en?: string | null;
  department: string;
  governance: Governance;
  last_printed: string | null;
  stale: boolean;
  origin: string | null;
}

export interface Catalog {
  record_types: RecordType[];
  ledgers: Ledger[];
}

export interface TextSpan {
  start: number;
  end: number;
  text: string;
}

export interface ExtractedField {
  key: string;
  title: string;
  value: Value;
  confidence: number;
  origin: "transcript" | "registry" | "recording_date";
  span: TextSpan | null;
  audio: { start_ms: number; end_ms: number } | null;
  original: string | null;
}

export interface Extraction {
  record_type: string;
  type_version: number;
  recording_date: string;
  fields: ExtractedField[];
  missing_required: { key: string; title: string }[];
  warnings: { key: string | null; message: string; span: TextSpan | null }[];
  resident: { id: string; name: string; confidence: number; reason: string } | null;
}

export interface Dictation {
  id: string;
  transcript: { text: string };
  extraction: Extraction;
}

export type RecordState = "draft" | "final";

export interface LedgerRecord {
  id: string;
  record_type: string;
  type_version: number;
  fields: FieldValues;
  transcript: string | null;
  audio_ref: string | null;
  author: string;
  committee: string;
  resident_id: string | null;
  state: RecordState;
  revision: number;
  created_at: string;
  updated_at: string;
}

export interface FieldChange {
  key: string;
  old: Value | null;
  new: Value | null;
}

export interface Revision {
  revision: number;
  at: string;
  who: string;
  why: string;
  changes: FieldChange[];
}

export interface RecordDetail {
  record: LedgerRecord;
  ledgers: { id: string; title: string; department: string }[];
  history: Revision[];
}

export interface RecordFilter {
  record_type?: string | null;
  from?: string | null;
  to?: string | null;
  state?: RecordState | null;
  text?: string | null;
  resident_id?: string | null;
  limit?: number | null;
}

export interface LedgerRow {
  record_id: string;
  revision: number;
  state: RecordState;
  date: string;
  cells: string[];
}

export interface LedgerPage {
  period_label: string;
  rows: { ledger_id: string; columns: string[]; from: string; to: string; rows: LedgerRow[] };
}

export interface Exported {
  ledger: string;
  path: string;
  rows: number;
  pages: number | null;
  missing_glyphs: string;
}

export interface Resident {
  id: string;
  name: string;
  address: string;
  building: string | null;
  room: string | null;
  phone: string | null;
  birth_year: number | null;
  tags: string[];
}

export interface ImportResult {
  read: number;
  added: number;
  updated: number;
}

export interface Coverage {
  from: string;
  to: string;
  working_days: number;
  daily_target: number;
  staff: { name: string; visits: number; per_working_day: number; meets_target: boolean }[];
  households: number;
  households_visited: number;
  unvisited: { address: string; residents: string[] }[];
  months: { month: number; visits: number }[];
}

export interface JobProgress {
  job: string;
  stage: string;
  fraction: number | null;
  detail: string | null;
}

let jobCounter = 0;
/** A fresh id for a long-running job. */
export function newJobId(kind: string): string {
  jobCounter += 1;
  return `${kind}-${Date.now()}-${jobCounter}`;
}

export const api = {
  appStatus: () => invoke<AppStatus>("app_status"),
  uiReady: () => invoke<void>("ui_ready"),
  saveProfile: (profile: Profile) => invoke<Profile>("profile_save", { profile }),

  models: () => invoke<ModelStatus[]>("models_list"),
  installModel: (job: string, name: string) => invoke<Installed>("model_install", { job, name }),
  importModel: (job: string, path: string) => invoke<Installed>("model_import", { job, path }),
  setDefaultModel: (name: string) => invoke<void>("model_set_default", { name }),
  microphones: () => invoke<Microphones>("microphones"),
  chooseMicrophone: (device: string | null) => invoke<void>("microphone_choose", { device }),

  dictateFile: (job: string, path: string, recordType: string, date: string | null) =>
    invoke<Dictation>("dictate_file", { job, path, recordType, date }),
  saveDictation: (id: string, corrections: FieldValues, makeFinal: boolean, reason: string) =>
    invoke<LedgerRecord>("dictation_save", { id, corrections, makeFinal, reason }),
  discardDictation: (id: string) => invoke<void>("dictation_discard", { id }),
  cancelJob: (job: string) => invoke<boolean>("cancel_job", { job }),

  records: (filter: RecordFilter) => invoke<LedgerRecord[]>("records_list", { filter }),
  openRecord: (id: string) => invoke<RecordDetail>("record_open", { id }),
  editRecord: (id: string, fields: FieldValues, makeFinal: boolean, reason: string) =>
    invoke<LedgerRecord>("record_edit", { id, fields, makeFinal, reason }),

  catalog: () => invoke<Catalog>("catalog"),
  retireLedger: (id: string) => invoke<void>("ledger_retire", { id }),
  ledgerRows: (ledger: string, period: string) =>
    invoke<LedgerPage>("ledger_rows_for", { ledger, period }),
  exportLedgers: (ledger: string | null, period: string, format: string) =>
    invoke<Exported[]>("ledger_export", { ledger, period, format }),
  currentPeriod: () => invoke<string>("current_period"),

  importResidents: (path: string) => invoke<ImportResult>("residents_import", { path }),
  residents: (search: string | null) => invoke<Resident[]>("residents_list", { search }),
  coverage: (year: number | null) => invoke<Coverage>("visit_coverage", { year }),

  onProgress: (handler: (p: JobProgress) => void): Promise<UnlistenFn> =>
    listen<JobProgress>("job-progress", (event) => handler(event.payload)),

  /** Asks the user for a file; null when they cancel. */
  pickFile: async (name: string, extensions: string[]): Promise<string | null> => {
    const chosen = await openDialog({ multiple: false, filters: [{ name, extensions }] });
    return typeof chosen === "string" ? chosen : null;
  },
  openInSystem: (path: string) => openPath(path),
  showInFolder: (path: string) => revealItemInDir(path),
};
