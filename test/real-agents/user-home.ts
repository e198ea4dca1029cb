/**
 * A user's HOME set up the way someone who points their agent CLI at a proxy would have it: the endpoint and a key,
 * the CLI's own "I have used this before" state, updates and telemetry off. Only what a user configures once goes
 * here; the first-launch screens of a new working directory and of the permission mode are CAO's to handle, so
 * nothing here pre-answers them (no folder trust, no bypass confirmation).
 */
import fs from "node:fs";
import path from "node:path";
import { agentCliNoUpdateEnv } from "./agent-clis.js";

/** The fake key every CLI sends to the double (Claude Code remembers a key by its last 20 characters). */
export const DOUBLE_API_KEY = "sk-double-0123456789abcdefghij";
export const DOUBLE_MODEL = "fake-model";

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** Writes `home`'s config for `provider` against the double at `url`; returns the variables the user exports. */
export function seedUserHome(provider: string, home: string, url: string): Record<string, string> {
  switch (provider) {
    case "claude_code":
      write(
        path.join(home, ".claude.json"),
        JSON.stringify({
          hasCompletedOnboarding: true,
          lastOnboardingVersion: "2.1.328",
          customApiKeyResponses: { approved: [DOUBLE_API_KEY.slice(-20)], rejected: [] },
        }),
      );
      return {
        ANTHROPIC_BASE_URL: url,
        ANTHROPIC_API_KEY: DOUBLE_API_KEY,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
      };
    case "codex":
      write(
        path.join(home, ".codex", "config.toml"),
        [
          `model = "${DOUBLE_MODEL}"`,
          `model_provider = "double"`,
          "[model_providers.double]",
          `name = "Model double"`,
          `base_url = "${url}/v1"`,
          `env_key = "CAO_DOUBLE_API_KEY"`,
          `wire_api = "responses"`,
          "request_max_retries = 0",
          "stream_max_retries = 0",
          // Nothing else: the update check, analytics, the plugin sync and the daemon are switched off by CAO per
          // launch (src/providers/codex.ts), so a user's config that leaves them on must still keep Codex offline.
          "",
        ].join("\n"),
      );
      return { CAO_DOUBLE_API_KEY: DOUBLE_API_KEY };
    case "gemini_cli":
      write(
        path.join(home, ".gemini", "settings.json"),
        JSON.stringify({
          security: { auth: { selectedType: "gemini-api-key" } },
          privacy: { usageStatisticsEnabled: false },
          telemetry: { enabled: false },
          general: { disableAutoUpdate: true, disableUpdateNag: true },
          model: { name: "gemini-2.5-pro" },
        }),
      );
      return { GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: DOUBLE_API_KEY };
    case "qwen_cli":
      return { OPENAI_BASE_URL: `${url}/v1`, OPENAI_API_KEY: DOUBLE_API_KEY, OPENAI_MODEL: DOUBLE_MODEL };
    case "copilot_cli":
      return {
        ...agentCliNoUpdateEnv(),
        COPILOT_PROVIDER_BASE_URL: `${url}/v1`,
        COPILOT_PROVIDER_API_KEY: DOUBLE_API_KEY,
        COPILOT_MODEL: DOUBLE_MODEL,
        // A BYOK model Copilot has no catalog entry for: its limits, else it warns on every start.
        COPILOT_PROVIDER_MAX_PROMPT_TOKENS: "128000",
        COPILOT_PROVIDER_MAX_OUTPUT_TOKENS: "8192",
      };
    case "opencode_cli":
      write(
        path.join(home, ".config", "opencode", "opencode.json"),
        JSON.stringify({
          provider: {
            double: {
              npm: "@ai-sdk/openai-compatible",
              name: "Model double",
              options: { baseURL: `${url}/v1`, apiKey: DOUBLE_API_KEY },
              models: { [DOUBLE_MODEL]: { name: "Fake Model", tool_call: true } },
            },
          },
          model: `double/${DOUBLE_MODEL}`,
          small_model: `double/${DOUBLE_MODEL}`,
          autoupdate: false,
          share: "disabled",
        }),
      );
      // Someone who keeps opencode off the npm registry: at every start it installs @opencode-ai/plugin into its
      // config directory in the background (until that succeeded once), with npm's settings for that directory.
      write(path.join(home, ".config", "opencode", ".npmrc"), "offline=true\n");
      return {
        OPENCODE_DISABLE_MODELS_FETCH: "1",
        OPENCODE_DISABLE_AUTOUPDATE: "1",
        OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
      };
    default:
      throw new Error(`no user home recipe for provider ${provider}`);
  }
}
