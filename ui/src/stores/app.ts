// What every screen shares: the app's status, the profile, the catalogue,
// the language and the last error shown to the user.

import { reactive } from "vue";
import { api, isCommandError, type AppStatus, type Catalog, type RecordType } from "../api";
import { messageKeys, setLocale, t, type MessageKey } from "../i18n";

export interface Notice {
  kind: "error" | "info";
  title: string;
  detail: string;
}

export const app = reactive({
  status: null as AppStatus | null,
  catalog: null as Catalog | null,
  notice: null as Notice | null,
});

export async function loadStatus(): Promise<void> {
  app.status = await api.appStatus();
  setLocale(app.status.profile.language);
}

export async function loadCatalog(): Promise<void> {
  app.catalog = await api.catalog();
}

export function recordType(id: string): RecordType | undefined {
  return app.catalog?.record_types.find((rt) => rt.id === id);
}

/** The notice for a failed command: a title by its code, its message below. */
export function errorNotice(error: unknown): Notice {
  if (isCommandError(error)) {
    const key = `error.${error.code}` as MessageKey;
    const title = messageKeys.includes(key) ? t(key) : t("error.internal");
    return { kind: "error", title, detail: error.message };
  }
  return { kind: "error", title: t("error.internal"), detail: String(error) };
}

export function showError(error: unknown): void {
  app.notice = errorNotice(error);
}

export function showInfo(title: string, detail = ""): void {
  app.notice = { kind: "info", title, detail };
}
