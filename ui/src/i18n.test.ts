import { describe, expect, it } from "vitest";
import { englishTable, messageKeys, setLocale, t, translate } from "./i18n";

describe("translation table", () => {
  it("has an English text for every Chinese one", () => {
    const missing = messageKeys.filter((k) => !(k in englishTable));
    expect(missing).toEqual([]);
  });

  it("speaks Chinese unless the profile asks for English", () => {
    setLocale(undefined);
    expect(t("nav.dictate")).toBe("录入");
    setLocale("en");
    expect(t("nav.dictate")).toBe("Dictate");
    setLocale("fr");
    expect(t("nav.dictate")).toBe("录入");
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(translate("zh-CN", "ledgers.rows", { n: 3 })).toBe("共 3 行");
    expect(translate("en", "residents.households", { visited: 2, total: 5 })).toBe(
      "2 of 5 households visited",
    );
    expect(translate("en", "ledgers.rows")).toBe("{n} rows");
  });
});
