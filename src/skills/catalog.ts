/**
 * The skill catalog appended to every launched agent's system prompt (docs/skills.md, "How agents see skills"): names
 * and descriptions only; the agent loads a skill's content with the `load_skill` tool when it needs it.
 */
import type { Skill } from "./skill-file.js";

const INSTRUCTION =
  "These skills are provided by CAO for this orchestration. When one fits your task, fetch its full text with the " +
  "`load_skill` tool of the `cao-mcp-server` MCP server (argument: the skill's name). They are not available through " +
  "your CLI's own skill commands or folders.";

/** A case-sensitive shell-style pattern (`*`, `?`, `[abc]`) as a RegExp matching the whole name. */
function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) source += "\\[";
      else {
        let set = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
        if (set.startsWith("!")) set = "^" + set.slice(1);
        source += `[${set}]`;
        i = end;
      }
    } else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * The catalog block for `skills`, or "" when there is none to show. `patterns` is the profile's `skills` front matter
 * key: absent lists every skill, `[]` none, otherwise the skills matching an exact name or glob.
 */
export function skillCatalog(skills: Skill[], patterns?: string[]): string {
  let shown = skills;
  if (patterns) {
    const matchers = patterns.map(globToRegExp);
    shown = skills.filter((skill) => matchers.some((m) => m.test(skill.name)));
  }
  if (shown.length === 0) return "";
  return ["## Available Skills", "", INSTRUCTION, "", ...shown.map((s) => `- **${s.name}**: ${s.description}`)].join(
    "\n",
  );
}
