// A small WebDriver client over HTTP: just what the end-to-end tests use.

export class WebDriver {
  constructor(base) {
    this.base = base;
    this.session = null;
  }

  async call(method, path, body) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = json.value?.message ?? JSON.stringify(json);
      throw new Error(`${method} ${path} failed (${response.status}): ${detail}`);
    }
    return json.value;
  }

  async start(capabilities) {
    const value = await this.call("POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    this.session = value.sessionId;
  }

  async stop() {
    if (this.session) await this.call("DELETE", `/session/${this.session}`).catch(() => {});
    this.session = null;
  }

  s(path) {
    return `/session/${this.session}${path}`;
  }

  async find(css) {
    const value = await this.call("POST", this.s("/element"), { using: "css selector", value: css });
    return Object.values(value)[0];
  }

  async findAll(css) {
    const values = await this.call("POST", this.s("/elements"), { using: "css selector", value: css });
    return values.map((v) => Object.values(v)[0]);
  }

  async click(css) {
    const id = await this.find(css);
    await this.call("POST", this.s(`/element/${id}/click`), {});
  }

  /** Clicks through the DOM: WebKitWebDriver refuses clicks on table rows. */
  async clickRow(css) {
    await this.script(`document.querySelector(arguments[0]).click()`, css);
  }

  async type(css, text) {
    const id = await this.find(css);
    await this.call("POST", this.s(`/element/${id}/clear`), {});
    await this.call("POST", this.s(`/element/${id}/value`), { text });
  }

  async text(css) {
    const id = await this.find(css);
    return this.call("GET", this.s(`/element/${id}/text`));
  }

  async script(body, ...args) {
    return this.call("POST", this.s("/execute/sync"), { script: body, args });
  }

  /** Sets a <select> or date input as a user's pick would, firing
   *  `input` and `change` (typed keys go through the locale's date format). */
  async choose(css, value) {
    await this.script(
      `const el = document.querySelector(arguments[0]);
       el.value = arguments[1];
       el.dispatchEvent(new Event("input", { bubbles: true }));
       el.dispatchEvent(new Event("change", { bubbles: true }));`,
      css,
      value,
    );
  }

  /** Polls `probe` until it returns a truthy value; fails after `seconds`. */
  async until(what, probe, seconds = 30) {
    const deadline = Date.now() + seconds * 1000;
    let last;
    while (Date.now() < deadline) {
      try {
        const value = await probe();
        if (value) return value;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`gave up waiting for ${what}${last ? `: ${last.message}` : ""}`);
  }

  async exists(css) {
    return (await this.findAll(css)).length > 0;
  }
}
