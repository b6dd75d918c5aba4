// How values, confidences, sizes, dates and periods are shown.

import type { FieldSpec, LedgerRecord, RecordType, TextSpan, Value } from "./api";

/** Extraction below this confidence is highlighted for checking. */
export const LOW_CONFIDENCE = 0.7;

export type ConfidenceLevel = "high" | "low";

export function confidenceLevel(confidence: number): ConfidenceLevel {
  return confidence < LOW_CONFIDENCE ? "low" : "high";
}

export function percent(fraction: number): string {
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/** A field value as text, the way the ledgers print it. */
export function displayValue(value: Value | undefined, yes = "是", no = "否"): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join("、");
  if (typeof value === "boolean") return value ? yes : no;
  return String(value);
}

/** 147 MB, 1.5 GB: sizes in decimal units like the download sites show. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "";
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} KB`;
  return `${bytes} B`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** An RFC 3339 time as local `YYYY-MM-DD HH:MM`. */
export function formatDateTime(text: string): string {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) return text;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** Today as `YYYY-MM-DD`, local time. */
export function today(now = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Whether `text` is a month (2026-11), quarter (2026-Q4) or year (2026). */
export function isPeriod(text: string): boolean {
  return /^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$/.test(text.trim());
}

/** The transcript cut around a span, by characters (not UTF-16 units). */
export function splitAtSpan(
  text: string,
  span: TextSpan | null,
): { before: string; inside: string; after: string } {
  const chars = Array.from(text);
  if (!span || span.start >= span.end || span.end > chars.length) {
    return { before: text, inside: "", after: "" };
  }
  return {
    before: chars.slice(0, span.start).join(""),
    inside: chars.slice(span.start, span.end).join(""),
    after: chars.slice(span.end).join(""),
  };
}

/** The keys that usually name who or what a record is about. */
const SUBJECT_KEYS = ["resident", "visitor", "parties", "place", "name", "topic"];

/** Date and subject of a record, for lists. */
export function recordSummary(record: LedgerRecord, recordType: RecordType | undefined) {
  const date = recordType ? displayValue(record.fields[recordType.date_field]) : "";
  const key = SUBJECT_KEYS.find((k) => record.fields[k] !== undefined);
  const subject = key ? displayValue(record.fields[key]) : "";
  return { date, subject };
}

/** The field's title in the interface language. */
export function fieldTitle(spec: FieldSpec, english: boolean): string {
  return english && spec.title_en ? spec.title_en : spec.title;
}
