import { parseArgs } from "node:util";
import { SkillNotFoundError } from "../../skills/skill-file.js";
import { SkillStore } from "../../skills/skills.js";
import { ConflictError } from "../../util/errors.js";
import { caoHomeFrom } from "../../util/paths.js";
import { ValidationError } from "../../util/validate.js";
import { CommandError, UsageError } from "../usage.js";

export const skillsHelp = `usage: cao skills list
       cao skills add <folder> [--force]
       cao skills remove <name>

Skills are folders holding a SKILL.md (front matter: name, description). Installed skills live in
$CAO_HOME/skills/; the Python CAO's store and settings.json's skills.extra_dirs are read too.
Every agent launched afterwards sees the list of skills and loads one with the load_skill tool.

  list      the skills found, NAME and DESCRIPTION
  add       check the folder and copy it into $CAO_HOME/skills/ (--force replaces a skill of that name)
  remove    delete a skill from $CAO_HOME/skills/
`;

/** Store errors a user can act on: one line, exit 1. */
function asCommandError(error: unknown): unknown {
  if (error instanceof ValidationError || error instanceof ConflictError || error instanceof SkillNotFoundError)
    return new CommandError(error.message);
  return error;
}

export async function skillsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { force: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    process.stdout.write(skillsHelp);
    return action === undefined && !values.help ? 2 : 0;
  }
  const store = new SkillStore(caoHomeFrom(process.env), process.env);
  const one = (what: string): string => {
    if (rest.length !== 1) throw new UsageError(`${action}: give exactly one ${what}`);
    return rest[0]!;
  };
  try {
    switch (action) {
      case "list": {
        if (rest.length) throw new UsageError("list takes no arguments");
        if (values.force) throw new UsageError("--force is for add");
        const skills = store.list((problem) => process.stderr.write(`warning: ${problem}\n`));
        if (skills.length === 0) {
          process.stdout.write("No skills found\n");
          return 0;
        }
        const width = Math.max(4, ...skills.map((s) => s.name.length)) + 2;
        process.stdout.write(`${"NAME".padEnd(width)}DESCRIPTION\n`);
        for (const skill of skills) process.stdout.write(`${skill.name.padEnd(width)}${skill.description}\n`);
        return 0;
      }
      case "add": {
        const skill = store.add(one("folder path"), values.force === true);
        process.stdout.write(`Skill '${skill.name}' installed in ${skill.dir}\n`);
        return 0;
      }
      case "remove": {
        if (values.force) throw new UsageError("--force is for add");
        const name = one("skill name");
        store.remove(name);
        process.stdout.write(`Skill '${name}' removed\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown subcommand "${action}" (list, add, remove)`);
    }
  } catch (error) {
    throw asCommandError(error);
  }
}
