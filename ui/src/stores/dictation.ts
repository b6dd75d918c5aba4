// The dictation under review: what was read from the recording, what the
// user changed, and what will be saved.

import { computed, reactive } from "vue";
import type { Dictation, ExtractedField, FieldSpec, FieldValues, RecordType, Value } from "../api";
import { confidenceLevel, displayValue } from "../format";

export interface FieldRow {
  spec: FieldSpec;
  extracted: ExtractedField | null;
  /** The text in the input box. */
  text: string;
  /** True when the user changed what was read. */
  corrected: boolean;
  /** True when extraction was unsure or the field is required and empty. */
  needsCheck: boolean;
}

export interface ReviewState {
  dictation: Dictation | null;
  recordType: RecordType | null;
  edits: Record<string, string>;
  selected: string | null;
}

/** Creates a review of one dictation at a time. */
export function createReview() {
  const state = reactive<ReviewState>({
    dictation: null,
    recordType: null,
    edits: {},
    selected: null,
  });

  function start(dictation: Dictation, recordType: RecordType): void {
    state.dictation = dictation;
    state.recordType = recordType;
    state.edits = {};
    state.selected = null;
  }

  function clear(): void {
    state.dictation = null;
    state.recordType = null;
    state.edits = {};
    state.selected = null;
  }

  function extracted(key: string): ExtractedField | null {
    return state.dictation?.extraction.fields.find((f) => f.key === key) ?? null;
  }

  const rows = computed<FieldRow[]>(() => {
    if (!state.recordType) return [];
    return state.recordType.fields.map((spec) => {
      const found = extracted(spec.key);
      const original = displayValue(found?.value);
      const text = state.edits[spec.key] ?? original;
      const corrected = spec.key in state.edits && state.edits[spec.key] !== original;
      const unsure = found !== null && confidenceLevel(found.confidence) === "low";
      const missing = spec.required && text.trim() === "";
      return {
        spec,
        extracted: found,
        text,
        corrected,
        needsCheck: !corrected && (unsure || missing),
      };
    });
  });

  function edit(key: string, text: string): void {
    state.edits[key] = text;
  }

  /** Only the values the user changed, as the save command takes them. */
  function corrections(): FieldValues {
    const out: FieldValues = {};
    for (const row of rows.value) {
      if (!row.corrected) continue;
      out[row.spec.key] = toValue(row.spec, row.text);
    }
    return out;
  }

  return { state, rows, start, clear, edit, corrections, extracted };
}

/** Turns typed text into the value a field takes; the core checks it. */
export function toValue(spec: FieldSpec, text: string): Value {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  if (spec.type === "multi_choice") {
    return trimmed.split(/[、,，;；\s]+/).filter((s) => s !== "");
  }
  if (spec.type === "yes_no") {
    if (["是", "有", "yes", "true"].includes(trimmed.toLowerCase())) return true;
    if (["否", "无", "没有", "no", "false"].includes(trimmed.toLowerCase())) return false;
  }
  return trimmed;
}

export type Review = ReturnType<typeof createReview>;
