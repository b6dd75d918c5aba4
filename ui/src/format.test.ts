import { describe, expect, it } from "vitest";
import type { LedgerRecord, RecordType } from "./api";
import {
  confidenceLevel,
  displayValue,
  formatBytes,
  isPeriod,
  percent,
  recordSummary,
  splitAtSpan,
  today,
} from "./format";

describe("values as printed", () => {
  it.each([
    [null, ""],
    ["王秀英", "王秀英"],
    [135, "135"],
    [true, "是"],
    [false, "否"],
    [["独居", "高龄"], "独居、高龄"],
  ] as const)("%j shows as %j", (value, shown) => {
    expect(displayValue(value as never)).toBe(shown);
  });
});

describe("confidence", () => {
  it("flags values under 70% for checking", () => {
    expect(confidenceLevel(0.69)).toBe("low");
    expect(confidenceLevel(0.7)).toBe("high");
    expect(percent(0.856)).toBe("86%");
    expect(percent(1.4)).toBe("100%");
  });
});

describe("sizes and dates", () => {
  it("shows model sizes in MB and GB", () => {
    expect(formatBytes(147_951_465)).toBe("148 MB");
    expect(formatBytes(1_533_763_059)).toBe("1.5 GB");
    expect(formatBytes(null)).toBe("");
  });

  it("gives today in local time", () => {
    expect(today(new Date(2026, 10, 3, 23, 59))).toBe("2026-11-03");
  });
});

describe("periods", () => {
  it.each(["2026-11", "2026-Q4", "2026", " 2026-01 "])("accepts %j", (p) => {
    expect(isPeriod(p)).toBe(true);
  });
  it.each(["2026-13", "2026-Q5", "26-11", "十一月", ""])("refuses %j", (p) => {
    expect(isPeriod(p)).toBe(false);
  });
});

describe("transcript spans", () => {
  const text = "今天走访了王秀英阿姨，血压一百三十五比八十五";

  it("cuts by characters", () => {
    expect(splitAtSpan(text, { start: 5, end: 8, text: "王秀英" })).toEqual({
      before: "今天走访了",
      inside: "王秀英",
      after: "阿姨，血压一百三十五比八十五",
    });
  });

  it("counts a character outside the basic plane as one", () => {
    expect(splitAtSpan("𠮷野家到了", { start: 1, end: 3, text: "野家" }).inside).toBe("野家");
  });

  it("shows the whole text when the span does not fit", () => {
    expect(splitAtSpan(text, { start: 30, end: 40, text: "" }).before).toBe(text);
    expect(splitAtSpan(text, null).inside).toBe("");
  });
});

describe("record summaries", () => {
  it("takes the date from the type's date field and the resident as subject", () => {
    const rt = { id: "home-visit", date_field: "visit_date", fields: [] } as unknown as RecordType;
    const record = {
      fields: { visit_date: "2026-11-03", resident: "王秀英", bp_systolic: 135 },
    } as unknown as LedgerRecord;
    expect(recordSummary(record, rt)).toEqual({ date: "2026-11-03", subject: "王秀英" });
  });
});
