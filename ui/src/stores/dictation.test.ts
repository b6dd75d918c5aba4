import { describe, expect, it } from "vitest";
import type { Dictation, ExtractedField, RecordType } from "../api";
import { createReview, toValue } from "./dictation";

const homeVisit = {
  id: "home-visit",
  version: 1,
  title: "入户走访",
  date_field: "visit_date",
  enterable: true,
  fields: [
    { key: "visit_date", title: "走访日期", type: "date", required: true },
    { key: "resident", title: "走访对象", type: "person", required: true },
    { key: "bp_systolic", title: "高压", type: "integer", required: false, unit: "mmHg" },
    { key: "concerns", title: "反映问题", type: "text", required: false },
    { key: "follow_up", title: "需跟进", type: "yes_no", required: false },
  ],
} as RecordType;

function field(key: string, value: ExtractedField["value"], confidence: number): ExtractedField {
  return { key, title: key, value, confidence, origin: "transcript", span: null, audio: null, original: null };
}

function dictation(fields: ExtractedField[]): Dictation {
  return {
    id: "d1",
    transcript: { text: "今天走访了王秀英阿姨" },
    extraction: {
      record_type: "home-visit",
      type_version: 1,
      recording_date: "2026-11-03",
      fields,
      missing_required: [],
      warnings: [],
      resident: null,
    },
  };
}

describe("reviewing a dictation", () => {
  it("shows every field of the type, flagging unsure and missing ones", () => {
    const review = createReview();
    review.start(
      dictation([field("visit_date", "2026-11-03", 0.95), field("bp_systolic", 135, 0.5)]),
      homeVisit,
    );
    const rows = Object.fromEntries(review.rows.value.map((r) => [r.spec.key, r]));
    expect(rows.visit_date.needsCheck).toBe(false);
    expect(rows.bp_systolic.text).toBe("135");
    expect(rows.bp_systolic.needsCheck).toBe(true);
    expect(rows.resident.needsCheck).toBe(true);
    expect(rows.concerns.needsCheck).toBe(false);
  });

  it("sends only what the user changed", () => {
    const review = createReview();
    review.start(dictation([field("bp_systolic", 135, 0.5), field("resident", "王秀英", 0.9)]), homeVisit);
    review.edit("resident", "王秀英");
    review.edit("bp_systolic", "138");
    review.edit("concerns", "楼道灯坏了");
    expect(review.corrections()).toEqual({ bp_systolic: "138", concerns: "楼道灯坏了" });
    const corrected = review.rows.value.find((r) => r.spec.key === "bp_systolic")!;
    expect(corrected.corrected).toBe(true);
    expect(corrected.needsCheck).toBe(false);
  });

  it("clears a field the user empties", () => {
    const review = createReview();
    review.start(dictation([field("concerns", "楼道灯坏了", 0.8)]), homeVisit);
    review.edit("concerns", "  ");
    expect(review.corrections()).toEqual({ concerns: null });
  });
});

describe("typed text to values", () => {
  it("reads yes/no words and splits lists", () => {
    const yesNo = homeVisit.fields[4];
    expect(toValue(yesNo, "是")).toBe(true);
    expect(toValue(yesNo, "没有")).toBe(false);
    expect(toValue({ ...yesNo, type: "multi_choice" }, "独居、高龄 低保")).toEqual(["独居", "高龄", "低保"]);
    expect(toValue(homeVisit.fields[2], " 138 ")).toBe("138");
  });
});
