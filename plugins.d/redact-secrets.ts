/**
 * redact-secrets: masks secrets in every message before any agent or later plugin sees it — AWS access key ids and
 * secret keys, bearer tokens, private key blocks, and patterns of your own. An interceptor of pre_send_message that
 * runs first (priority 1000), so the text typed into agents, stored in the inbox and handed to observers is the
 * masked one.
 *
 *   plugins:
 *     redact-secrets:
 *       config:
 *         patterns: ["ghp_[A-Za-z0-9]{36}", "(?i)password=\\S+"]   # regular expressions (JavaScript syntax; a leading (?i) = ignore case)
 *         replacement: "[REDACTED]"                                  # default
 *
 * Install: copy this file into ~/.cao/plugins/.
 */
import {
  CaoPlugin,
  intercept,
  modify,
  type PluginContext,
  type PreSendMessage,
  type StandardSchemaV1,
} from "cli-agent-orchestrator/plugins";

interface RedactSettings {
  patterns: RegExp[];
  replacement: string;
}

/** What every installation masks. */
const BUILT_IN: RegExp[] = [
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /(?<=aws_secret_access_key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}/gi, // AWS secret access keys, as configured
  /(?<=\bBearer\s+)[A-Za-z0-9\-._~+/]{8,}=*/g, // bearer tokens (the word Bearer is kept, so the text still reads)
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----/g, // private key blocks
];

/** A hand-written Standard Schema: this file is copied alone into ~/.cao/plugins, where no schema library resolves. */
const Settings: StandardSchemaV1<unknown, RedactSettings> = {
  "~standard": {
    version: 1,
    vendor: "cao-redact-secrets",
    validate(value) {
      const out: RedactSettings = { patterns: [], replacement: "[REDACTED]" };
      if (value === undefined || value === null) return { value: out };
      if (typeof value !== "object" || Array.isArray(value))
        return { issues: [{ message: "expected a mapping with patterns, replacement" }] };
      const issues: StandardSchemaV1.Issue[] = [];
      for (const [key, setting] of Object.entries(value)) {
        if (key === "replacement") {
          if (typeof setting === "string") out.replacement = setting;
          else issues.push({ message: "expected a string", path: [key] });
        } else if (key === "patterns") {
          if (!Array.isArray(setting)) {
            issues.push({ message: "expected a list of regular expressions", path: [key] });
            continue;
          }
          setting.forEach((source, i) => {
            if (typeof source !== "string" || source === "")
              return issues.push({ message: "expected a regular expression string", path: [key, i] });
            const ignoreCase = source.startsWith("(?i)");
            try {
              out.patterns.push(new RegExp(ignoreCase ? source.slice(4) : source, ignoreCase ? "gi" : "g"));
            } catch (error) {
              issues.push({ message: `not a valid regular expression: ${(error as Error).message}`, path: [key, i] });
            }
          });
        } else {
          issues.push({ message: "unknown setting (known: patterns, replacement)", path: [key] });
        }
      }
      return issues.length > 0 ? { issues } : { value: out };
    },
  },
};

export default class RedactSecrets extends CaoPlugin<typeof Settings> {
  static configSchema = Settings;
  private patterns: RegExp[] = BUILT_IN;
  private replacement = "[REDACTED]";

  override async setup(context: PluginContext<RedactSettings>): Promise<void> {
    this.patterns = [...BUILT_IN, ...(context.config?.patterns ?? [])];
    this.replacement = context.config?.replacement ?? this.replacement;
    this.logger.info(
      `redact-secrets: masking ${this.patterns.length} patterns (${this.patterns.length - BUILT_IN.length} of yours)`,
    );
  }

  @intercept("pre_send_message", { priority: 1000 })
  redact(op: PreSendMessage) {
    let text = op.message;
    for (const pattern of this.patterns) text = text.replace(pattern, this.replacement);
    if (text !== op.message) return modify({ message: text });
  }
}
