/**
 * Plugin sources kept as real files under test/fixtures/plugins, so tsc type-checks them against the plugin API like
 * any plugin author's code (they import "cli-agent-orchestrator/plugins", which the loader serves to drop-ins and
 * tsc resolves through the package's self-reference). Tests write them into a temp plugins dir under the file name
 * that names the plugin there.
 */
import fs from "node:fs";
import ts from "typescript";

const FIXTURES = new URL("../fixtures/plugins/", import.meta.url);

/** The TypeScript source of test/fixtures/plugins/<file>. */
export function pluginFixture(file: string): string {
  return fs.readFileSync(new URL(file, FIXTURES), "utf8");
}

/**
 * The fixture as plain JavaScript, for tests whose point includes a .js / .mjs drop-in: TypeScript only erases the
 * types (type-only imports included), so a fixture with no value import from the API stays import-free.
 */
export function pluginFixtureAsJs(file: string): string {
  return ts.transpileModule(pluginFixture(file), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  }).outputText;
}

/** `source` with `from` replaced by `to`; throws unless `from` occurs exactly once, so an edited fixture cannot silently make a variant equal to the original. */
export function variantOf(source: string, from: string, to: string): string {
  const count = source.split(from).length - 1;
  if (count !== 1) throw new Error(`expected ${JSON.stringify(from)} once in the fixture, found it ${count} times`);
  return source.replace(from, () => to);
}
