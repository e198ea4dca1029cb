/**
 * The `.env` file `cao install --env KEY=VALUE` writes (KEY=VALUE lines, as the Python CAO's
 * `~/.aws/cli-agent-orchestrator/.env`): values for `${VAR}` in profiles that the server's environment lacks.
 */
import fs from "node:fs";
import path from "node:path";

export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The file's variables; a missing file has none. Quotes around a value are removed, `#` lines skipped. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return {};
  }
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!ENV_KEY.test(key)) continue;
    let value = line.slice(eq + 1).trim();
    const quoted = /^(['"])([\s\S]*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"') : quoted[2]!;
    values[key] = value;
  }
  return values;
}

/** Sets the variables in the file (0600: values are often secrets), keeping its other lines. */
export function writeEnvFile(file: string, updates: Record<string, string>): void {
  let lines: string[] = [];
  try {
    lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    if (lines[lines.length - 1] === "") lines.pop();
  } catch {
    // a new file
  }
  const quote = (value: string) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
  for (const [key, value] of Object.entries(updates)) {
    const at = lines.findIndex(
      (line) =>
        line
          .trim()
          .replace(/^export\s+/, "")
          .split("=")[0]
          ?.trim() === key,
    );
    const line = `${key}=${quote(value)}`;
    if (at >= 0) lines[at] = line;
    else lines.push(line);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join("\n") + "\n", { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}
