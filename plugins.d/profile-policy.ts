/**
 * profile-policy: which providers, agent profiles and working directories may be used. Interceptors of
 * pre_create_session and pre_create_terminal, so it covers sessions made by `cao launch`, terminals made through the
 * API and the workers of handoff and assign. A refused create leaves nothing behind and tells the caller why.
 *
 *   plugins:
 *     profile-policy:
 *       config:
 *         providers: { allow: [claude_code, mock] }         # allow: only these; deny: never these (deny wins)
 *         profiles: { deny: [reviewer] }
 *         workingDirectories: { allow: [/home/me/work], deny: [/home/me/work/secrets] }   # roots: a directory and all below it
 *
 * Declared failClosed: if the policy itself fails, the create is refused rather than let through.
 * Install: copy this file into ~/.cao/plugins/.
 */
import path from "node:path";
import {
  CaoPlugin,
  deny,
  intercept,
  type PluginContext,
  type PreCreateSession,
  type PreCreateTerminal,
  type StandardSchemaV1,
} from "cli-agent-orchestrator/plugins";

interface Lists {
  allow?: string[];
  deny?: string[];
}

interface PolicySettings {
  providers: Lists;
  profiles: Lists;
  workingDirectories: Lists;
}

const KINDS = ["providers", "profiles", "workingDirectories"] as const;

/** A hand-written Standard Schema: this file is copied alone into ~/.cao/plugins, where no schema library resolves. */
const Settings: StandardSchemaV1<unknown, PolicySettings> = {
  "~standard": {
    version: 1,
    vendor: "cao-profile-policy",
    validate(value) {
      const out: PolicySettings = { providers: {}, profiles: {}, workingDirectories: {} };
      if (value === undefined || value === null) return { value: out };
      if (typeof value !== "object" || Array.isArray(value))
        return { issues: [{ message: `expected a mapping with ${KINDS.join(", ")}` }] };
      const issues: StandardSchemaV1.Issue[] = [];
      for (const [kind, lists] of Object.entries(value)) {
        if (!(KINDS as readonly string[]).includes(kind)) {
          issues.push({ message: `unknown setting (known: ${KINDS.join(", ")})`, path: [kind] });
          continue;
        }
        if (typeof lists !== "object" || lists === null || Array.isArray(lists)) {
          issues.push({ message: "expected a mapping with allow and/or deny", path: [kind] });
          continue;
        }
        for (const [which, list] of Object.entries(lists)) {
          if (which !== "allow" && which !== "deny")
            issues.push({ message: "expected allow or deny", path: [kind, which] });
          else if (!Array.isArray(list) || !list.every((item) => typeof item === "string" && item !== ""))
            issues.push({ message: "expected a list of names", path: [kind, which] });
          else if (kind === "workingDirectories" && !list.every((item: string) => path.isAbsolute(item)))
            issues.push({ message: "expected absolute directories", path: [kind, which] });
          else
            out[kind as (typeof KINDS)[number]][which] =
              kind === "workingDirectories" ? list.map((dir: string) => path.resolve(dir)) : list;
        }
      }
      return issues.length > 0 ? { issues } : { value: out };
    },
  },
};

export default class ProfilePolicy extends CaoPlugin<typeof Settings> {
  static configSchema = Settings;
  private policy: PolicySettings = { providers: {}, profiles: {}, workingDirectories: {} };

  override async setup(context: PluginContext<PolicySettings>): Promise<void> {
    if (context.config) this.policy = context.config;
  }

  @intercept("pre_create_session", { priority: 100, failClosed: true })
  @intercept("pre_create_terminal", { priority: 100, failClosed: true })
  check(op: PreCreateSession | PreCreateTerminal) {
    const { providers, profiles, workingDirectories } = this.policy;
    const problem =
      refusal("provider", op.provider, providers, (a, b) => a === b) ??
      refusal("agent profile", op.agentProfile, profiles, (a, b) => a === b) ??
      refusal("working directory", op.workingDirectory, workingDirectories, isWithin);
    if (problem) return deny(problem);
  }
}

function refusal(
  what: string,
  value: string,
  lists: Lists,
  matches: (value: string, entry: string) => boolean,
): string | undefined {
  const denied = lists.deny?.find((entry) => matches(value, entry));
  if (denied !== undefined) return `${what} ${value} is denied (${denied})`;
  if (lists.allow && !lists.allow.some((entry) => matches(value, entry)))
    return `${what} ${value} is not allowed (allowed: ${lists.allow.join(", ")})`;
  return undefined;
}

/** Whether `dir` is `root` or below it (path.relative, so /work/ab is not under /work/a). */
function isWithin(dir: string, root: string): boolean {
  const relative = path.relative(root, dir);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}
