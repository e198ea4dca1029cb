/**
 * The interceptor plugins that ship in plugins.d/ (rate-limit, redact-secrets, profile-policy), loaded by a real
 * registry straight from that folder with their settings from a real config.yaml, asked through the registry's gate
 * exactly as the services ask it.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PreCreateTerminal, PreSendMessage } from "../src/plugins/api/index.js";
import { removeTempDirs, tempDir } from "./helpers/fs-fixtures.js";
import { startRegistry, stopRegistries } from "./helpers/registry.js";

const PLUGINS_D = path.resolve("plugins.d");
afterEach(async () => {
  await stopRegistries();
  removeTempDirs();
});

async function loadBundled(configYaml: string) {
  const home = tempDir("cao-bundled-icpt-");
  fs.writeFileSync(path.join(home, "config.yaml"), configYaml);
  return startRegistry({ home, env: { CAO_PLUGINS_DIR: PLUGINS_D } });
}

const message = (sender: string | null, text = "hi"): PreSendMessage => ({
  point: "pre_send_message",
  sessionId: "cao-r",
  sender,
  receiver: "1111bbbb",
  message: text,
  orchestrationType: sender === null ? null : "send_message",
});

describe("rate-limit", () => {
  it("refuses a sender past its per-window limit, and anyone past the session's cap; direct input is not counted", async () => {
    const { registry } = await loadBundled(
      "plugins:\n  rate-limit:\n    config: { perSender: 3, windowSeconds: 60, perSession: 5 }\n",
    );
    const outcomes: string[] = [];
    const send = async (sender: string | null) => {
      const verdict = await registry.intercept(message(sender));
      outcomes.push(verdict.denied ? `${verdict.plugin}: ${verdict.reason}` : "ok");
    };
    for (let i = 0; i < 4; i++) await send("0000aaaa");
    for (let i = 0; i < 3; i++) await send(null);
    for (let i = 0; i < 3; i++) await send("2222cccc");
    expect(outcomes.slice(0, 3)).toEqual(["ok", "ok", "ok"]);
    expect(outcomes[3]).toMatch(
      /^rate-limit: sender 0000aaaa sent 3 messages in the last 60 s \(limit 3\); retry in (59|60) s$/,
    );
    expect(outcomes.slice(4, 7)).toEqual(["ok", "ok", "ok"]);
    expect(outcomes.slice(7)).toEqual(["ok", "ok", "rate-limit: session cao-r reached its cap of 5 messages"]);
  });

  it("an invalid setting fails the plugin with the field named", async () => {
    const { registry } = await loadBundled("plugins:\n  rate-limit:\n    config: { perSender: 0, burst: 3 }\n");
    expect(registry.list().find((p) => p.name === "rate-limit")).toMatchObject({
      status: "failed",
      error:
        "invalid config: config.perSender: expected a positive integer; config.burst: unknown setting (known: perSender, windowSeconds, perSession)",
    });
    expect(registry.intercepts("pre_send_message")).toBe(true); // redact-secrets still serves it
  });
});

describe("redact-secrets", () => {
  it("masks AWS keys, bearer tokens, private key blocks and your patterns before any later interceptor sees the text", async () => {
    const { registry } = await loadBundled(
      'plugins:\n  redact-secrets:\n    config:\n      patterns: ["ghp_[A-Za-z0-9]{36}", "(?i)password=\\\\S+"]\n      replacement: "<hidden>"\n',
    );
    const seen: string[] = [];
    await registry.add("later", {
      intercepts: { pre_send_message: (op: PreSendMessage) => void seen.push(op.message) },
    });
    const secret = [
      "id AKIAABCDEFGHIJKLMNOP",
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----",
      "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 and PASSWORD=hunter2",
      "nothing to hide",
    ].join("\n");
    const verdict = await registry.intercept(message("0000aaaa", secret));
    const expected = [
      "id <hidden>",
      "aws_secret_access_key = <hidden>",
      "Authorization: Bearer <hidden>",
      "<hidden>",
      "token <hidden> and <hidden>",
      "nothing to hide",
    ].join("\n");
    expect(verdict).toMatchObject({ denied: false, op: { message: expected } });
    expect(seen).toEqual([expected]);
  });

  it("leaves clean text alone (no modify)", async () => {
    const { registry } = await loadBundled("plugins: {}\n");
    expect(await registry.intercept(message("0000aaaa", "plain words"))).toMatchObject({
      denied: false,
      op: { message: "plain words" },
    });
  });
});

describe("profile-policy", () => {
  it("allows and denies providers, agent profiles and working-directory roots (deny wins)", async () => {
    const root = tempDir("cao-policy-");
    const yaml = [
      "plugins:",
      "  profile-policy:",
      "    config:",
      "      providers: { allow: [mock, claude_code] }",
      "      profiles: { deny: [reviewer] }",
      `      workingDirectories: { allow: [${root}], deny: [${path.join(root, "secret")}] }`,
      "",
    ].join("\n");
    const { registry } = await loadBundled(yaml);
    const ask = async (provider: string, agentProfile: string, workingDirectory: string) => {
      const op: PreCreateTerminal = {
        point: "pre_create_terminal",
        sessionId: "cao-p",
        provider,
        agentProfile,
        workingDirectory,
      };
      const verdict = await registry.intercept(op);
      return verdict.denied ? verdict.reason : "ok";
    };
    expect(await ask("mock", "developer", path.join(root, "project"))).toBe("ok");
    expect(await ask("mock", "developer", root)).toBe("ok");
    expect(await ask("codex", "developer", root)).toBe("provider codex is not allowed (allowed: mock, claude_code)");
    expect(await ask("mock", "reviewer", root)).toBe("agent profile reviewer is denied (reviewer)");
    expect(await ask("mock", "developer", path.join(root, "secret", "x"))).toBe(
      `working directory ${path.join(root, "secret", "x")} is denied (${path.join(root, "secret")})`,
    );
    expect(await ask("mock", "developer", `${root}-sibling`)).toMatch(/^working directory .*-sibling is not allowed/);
    const session = await registry.intercept({
      point: "pre_create_session",
      sessionName: "cao-p",
      provider: "gemini_cli",
      agentProfile: "developer",
      workingDirectory: root,
    });
    expect(session).toMatchObject({ denied: true, plugin: "profile-policy" });
  });
});
