import { parseArgs } from "node:util";
import { installProfile, parseEnvAssignment } from "../../profiles/install.js";
import { defaultProviders } from "../../providers/index.js";
import { caoHomeFrom } from "../../util/paths.js";
import { ValidationError } from "../../util/validate.js";
import { CommandError, UsageError } from "../usage.js";

export const installHelp = `usage: cao install <name | file.md | https-url> [--provider P] [--env KEY=VALUE]...

Installs an agent profile into $CAO_HOME/agent-store/, where launches look first:
  <name>       a profile found in any profile directory (the built-in store included)
  <file.md>    a profile file; its name is the file name without .md
  <https-url>  a profile downloaded from an allowed host (CAO_PROFILE_ALLOWED_HOSTS)
The profile is checked before anything is written.

  --provider P      check that P is a known provider (every provider gets the profile at launch)
  --env KEY=VALUE   store a value for \${KEY} in $CAO_HOME/.env first (repeatable)
`;

export async function installCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      provider: { type: "string" },
      env: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(installHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("give exactly one profile name, .md file or https URL");
  const known = defaultProviders().map((p) => p.name);
  if (values.provider !== undefined && !known.includes(values.provider))
    throw new UsageError(`--provider: unknown provider ${JSON.stringify(values.provider)}; known: ${known.join(", ")}`);
  let variables: Record<string, string>;
  try {
    variables = Object.fromEntries((values.env ?? []).map(parseEnvAssignment));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const caoHome = caoHomeFrom(process.env);
  let result;
  try {
    result = await installProfile({ source: positionals[0]!, caoHome, env: process.env, variables });
  } catch (error) {
    if (error instanceof ValidationError) throw new CommandError(error.message);
    throw error;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (result.kind === "file") out(`✓ Copied agent from file to local store`);
  else if (result.kind === "url") out(`✓ Downloaded agent from URL to local store`);
  else if (!result.copied) out(`✓ Agent '${result.name}' is already in the local store`);
  out(`✓ Agent '${result.name}' installed successfully: ${result.file}`);
  const count = Object.keys(variables).length;
  if (count) out(`✓ Set ${count} env var(s) in ${caoHome}/.env`);
  const provider = values.provider ?? result.provider;
  if (provider) out(`✓ Provider ${provider}: the profile is given to it at each launch, nothing else to install`);
  if (result.unset.length)
    process.stderr.write(
      `⚠ Unset variable(s) in the profile: ${result.unset.join(", ")}. Launches fail until they are set in the server's environment or with --env KEY=VALUE.\n`,
    );
  return 0;
}
