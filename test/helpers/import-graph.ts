import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

/** One import of a module: what it says, the src file it resolves to (undefined for packages and builtins). */
export interface ImportEdge {
  specifier: string;
  target: string | undefined;
  /** `import type` / `export type … from`: erased from the emitted JavaScript. */
  typeOnly: boolean;
}

/** Every .ts file under `dir`, sorted, as absolute paths (declaration files excluded). */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out.sort();
}

/**
 * The imports of one file, read from its syntax tree (so comments and strings never count): static imports,
 * `export … from`, and `import()` / `require()` of a string literal. A relative specifier is resolved the way NodeNext
 * resolves our emitted code: `./x.js` is `./x.ts`, a directory is its index.ts.
 */
export function importsOf(file: string): ImportEdge[] {
  const text = fs.readFileSync(file, "utf8");
  const tree = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean) =>
    edges.push({ specifier, target: resolveRelative(file, specifier), typeOnly });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.importClause?.isTypeOnly === true || isOnlyTypeSpecifiers(node.importClause));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(
        node.moduleSpecifier.text,
        node.isTypeOnly || (named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)),
      );
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const ref = node.moduleReference.expression;
      if (ts.isStringLiteral(ref)) add(ref.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const [first] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
      if ((isImport || isRequire) && first && ts.isStringLiteralLike(first)) add(first.text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return edges;
}

function isOnlyTypeSpecifiers(clause: ts.ImportClause | undefined): boolean {
  if (!clause || clause.name || !clause.namedBindings || !ts.isNamedImports(clause.namedBindings)) return false;
  const { elements } = clause.namedBindings;
  return elements.length > 0 && elements.every((e) => e.isTypeOnly);
}

function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [
    base.replace(/\.js$/, ".ts"),
    base.replace(/\.mjs$/, ".mts"),
    `${base}.ts`,
    path.join(base, "index.ts"),
    base,
  ];
  for (const candidate of candidates) if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  throw new Error(`${path.relative(process.cwd(), from)}: cannot resolve import "${specifier}"`);
}

/** file → the src files it imports (edges into src only). */
export type ImportGraph = Map<string, string[]>;

export function importGraph(
  files: readonly string[],
  include: (edge: ImportEdge) => boolean = () => true,
): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const targets = importsOf(file)
      .filter((e) => e.target !== undefined && include(e))
      .map((e) => e.target!);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/**
 * Every strongly connected component with a cycle (Tarjan), each reported as one concrete cycle path
 * `[a, b, …, a]` found inside it, so a failure names the exact chain of imports to break.
 */
export function findCycles(graph: ImportGraph): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strongConnect = (node: string): void => {
    indices.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        strongConnect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = component.length === 1 && (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const node of [...graph.keys()].sort()) if (!indices.has(node)) strongConnect(node);
  return components.map((component) => cyclePath(graph, new Set(component)));
}

/** A shortest cycle through the component's first member (breadth-first, staying inside the component). */
function cyclePath(graph: ImportGraph, component: Set<string>): string[] {
  const start = [...component].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!component.has(next)) continue;
      if (next === start) {
        const pathBack = [node];
        while (pathBack[0] !== start) pathBack.unshift(previous.get(pathBack[0]!)!);
        return [...pathBack, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}
